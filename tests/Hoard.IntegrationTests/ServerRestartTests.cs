using Hoard.IntegrationTests.Infrastructure;

namespace Hoard.IntegrationTests;

/// <summary>hoard-server may die at any moment: running databases must not notice, and unfinished work must resume.</summary>
[Collection(HoardServerCollection.Name)]
[Trait("Category", "Integration")]
public sealed class ServerRestartTests(HoardServerFixture server)
{
    private TroveClient Client => server.Client;

    private TroveSession Admin => server.Admin;

    [Fact]
    public async Task Provisioning_InterruptedByAServerCrash_ResumesAndBecomesActive()
    {
        var created = await Client.CreateInstanceAsync(Admin, TroveClient.InstanceBody("resume", "shop", "app", "Resume-App-1"));
        var id = created["id"]!.GetValue<string>();

        await server.CrashAndRestartServerAsync();

        var active = await Client.WaitForActiveAsync(Admin, id);
        var ip = active["ip"]![0]!.GetValue<string>();
        var answer = await MariaDbClient.QueryOkAsync(ip, "app", "Resume-App-1", "shop", "SELECT DATABASE()");
        Assert.Contains("shop", answer, StringComparison.Ordinal);

        TroveClient.Expect(await Client.DeleteAsync(Admin, $"instances/{id}"), 202);
        await Client.WaitUntilGoneAsync(Admin, id);
    }

    [Fact]
    public async Task FiveConcurrentCreates_InterruptedByAServerCrash_AllEndActiveOrFailed_AndLeaveNothingBehindOnDelete()
    {
        var passwords = Enumerable.Range(1, 5).Select(i => $"Crash-App-{i}").ToArray();
        var ids = await Task.WhenAll(passwords.Select(async (password, i) =>
            (await Client.CreateInstanceAsync(Admin, TroveClient.InstanceBody($"crash{i}", "shop", "app", password)))["id"]!.GetValue<string>()));

        // Mid-provisioning: once the first guest runs, others are still having their volume made or their database initialised.
        await Poll.UntilAsync(() => Task.FromResult(ids.Any(id => ProcessTable.Mentioning(id).Count > 0)),
            "no guest started for the five creates", 60, () => server.ServerLog, intervalMs: 20);
        var building = 0;
        foreach (var id in ids)
        {
            building += TroveClient.Expect(await Client.GetAsync(Admin, $"instances/{id}"), 200).Object["instance"]!["status"]!.GetValue<string>() == "BUILD" ? 1 : 0;
        }

        await server.CrashAndRestartServerAsync();
        Assert.True(building > 0, "every instance was ACTIVE before the crash: the test interrupted nothing");

        foreach (var (id, password) in ids.Zip(passwords))
        {
            var shown = await WaitForEndAsync(id);
            if (shown["status"]!.GetValue<string>() == "ACTIVE")
            {
                var ip = shown["ip"]![0]!.GetValue<string>();
                Assert.Contains("shop", await MariaDbClient.QueryOkAsync(ip, "app", password, "shop", "SELECT DATABASE()"), StringComparison.Ordinal);
            }
            else
            {
                Assert.True(shown["fault"]?["message"] is not null, $"Instance {id} ended in ERROR without a fault: {shown.ToJsonString()}");
            }
        }

        foreach (var id in ids)
        {
            TroveClient.Expect(await Client.DeleteAsync(Admin, $"instances/{id}"), 202);
        }

        foreach (var id in ids)
        {
            await Client.WaitUntilGoneAsync(Admin, id);
            Assert.Empty(Leftovers(id));
        }
    }

    /// <summary>ACTIVE (and healthy) or ERROR: whichever comes first.</summary>
    private async Task<System.Text.Json.Nodes.JsonObject> WaitForEndAsync(string id)
    {
        System.Text.Json.Nodes.JsonObject? last = null;
        await Poll.UntilAsync(async () =>
        {
            last = TroveClient.Expect(await Client.GetAsync(Admin, $"instances/{id}"), 200).Object["instance"]!.AsObject();
            return last["status"]!.GetValue<string>() is "ERROR" ||
                   (last["status"]!.GetValue<string>() == "ACTIVE" && last["operating_status"]?.GetValue<string>() == "HEALTHY");
        }, $"Instance {id} neither became ACTIVE nor ERROR after the server crash", 180, () => last?.ToJsonString() + "\n" + server.ServerLog);
        return last!;
    }

    /// <summary>What the host still holds for a deleted instance: processes, mounts, loop devices, files, cgroups, a live row.</summary>
    private List<string> Leftovers(string id)
    {
        var found = ProcessTable.Mentioning(id).Select(p => $"process {p.Pid}: {p.CommandLine}").ToList();
        found.AddRange(File.ReadAllLines("/proc/self/mountinfo").Where(l => l.Contains(id, StringComparison.Ordinal)).Select(l => "mount " + l));
        found.AddRange(Directory.Exists("/sys/block")
            ? Directory.EnumerateDirectories("/sys/block", "loop*")
                .Select(d => Path.Combine(d, "loop", "backing_file"))
                .Where(f => File.Exists(f) && File.ReadAllText(f).Contains(id, StringComparison.Ordinal))
                .Select(f => "loop device " + f)
            : []);
        found.AddRange(new[] { "instances", "volumes" }
            .Select(d => Path.Combine(server.DataDir, d))
            .Where(Directory.Exists)
            .SelectMany(Directory.EnumerateFileSystemEntries)
            .Where(e => Path.GetFileName(e).StartsWith(id, StringComparison.Ordinal)));
        found.AddRange(new[] { "/sys/fs/cgroup/memory/hoard", "/sys/fs/cgroup/cpu,cpuacct/hoard", "/sys/fs/cgroup/cpu/hoard", "/sys/fs/cgroup/hoard" }
            .Select(p => Path.Combine(p, id))
            .Where(Directory.Exists)
            .Select(p => "cgroup " + p));
        return found;
    }

    [Fact]
    public async Task RunningInstance_SurvivesAServerCrash_AndIsManagedAfterwards()
    {
        var created = await Client.CreateInstanceAsync(Admin, TroveClient.InstanceBody("survivor", "shop", "app", "Survive-App-1"));
        var id = created["id"]!.GetValue<string>();
        var ip = (await Client.WaitForActiveAsync(Admin, id))["ip"]![0]!.GetValue<string>();
        await MariaDbClient.QueryOkAsync(ip, "app", "Survive-App-1", "shop",
            "CREATE TABLE kept (v INT); INSERT INTO kept VALUES (7);");

        await server.CrashAndRestartServerAsync();

        // The database never stopped; the guest reconnects to the new server and answers calls again.
        Assert.Contains("7", await MariaDbClient.QueryOkAsync(ip, "app", "Survive-App-1", "shop", "SELECT v FROM kept"), StringComparison.Ordinal);
        await Poll.UntilAsync(async () => (await Client.GetAsync(Admin, $"instances/{id}/databases")).Status == 200,
            "the guest did not answer list_databases after the server restart", 30);
        var databases = await Client.GetAsync(Admin, $"instances/{id}/databases");
        Assert.Contains("shop", databases.ToString(), StringComparison.Ordinal);

        TroveClient.Expect(await Client.DeleteAsync(Admin, $"instances/{id}"), 202);
        await Client.WaitUntilGoneAsync(Admin, id);
        Assert.False(Directory.Exists(Path.Combine(server.DataDir, "instances", id)), "the instance directory outlived the delete");
    }
}

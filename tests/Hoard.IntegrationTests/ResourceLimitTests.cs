using System.Text.Json.Nodes;
using Hoard.IntegrationTests.Infrastructure;

namespace Hoard.IntegrationTests;

/// <summary>
/// As root, an instance's guest and database server run in the cgroup <c>hoard/&lt;id&gt;</c> with its flavor's memory
/// limit and CPU quota; <c>show</c> reports them as read from the host, and delete removes the group.
/// </summary>
[Collection(HoardServerCollection.Name)]
[Trait("Category", "Integration")]
public sealed class ResourceLimitTests(HoardServerFixture server)
{
    private const long FlavorOneBytes = 512L << 20;

    private TroveClient Client => server.Client;

    private TroveSession Admin => server.Admin;

    [CgroupFact]
    public async Task MariaDbOnFlavorOne_RunsInA512MbCgroup_ShownInShow_AndRemovedOnDelete()
    {
        var id = (await Client.CreateInstanceAsync(Admin, TroveClient.InstanceBody("limited")))["id"]!.GetValue<string>();
        await Client.WaitForActiveAsync(Admin, id);

        var resources = TroveClient.Expect(await Client.GetAsync(Admin, $"instances/{id}"), 200).Object["instance"]!["resources"]!.AsObject();
        Assert.True(resources["enforced_by"]?.GetValue<string>() is "cgroup-v1" or "cgroup-v2",
            $"show says the flavor's limits are not enforced although the server runs as root: {resources} " +
            "(set HOARD_TEST_NO_CGROUPS=1 where cgroups do not work)");
        Assert.Equal(512, resources["memory_limit_mb"]!.GetValue<long>());
        Assert.Equal(1.0, resources["cpu_quota"]!.GetValue<double>());
        Assert.Null(resources["reason"]);

        var mariadbd = ProcessTable.Mentioning(id).Where(p => p.CommandLine.Contains("mariadbd", StringComparison.Ordinal)).ToList();
        Assert.True(mariadbd.Count == 1, $"expected one mariadbd of the instance: {ProcessTable.Describe(ProcessTable.Mentioning(id))}");
        var memoryGroup = MemoryCgroup(mariadbd[0].Pid);
        Assert.EndsWith($"/hoard/{id}", memoryGroup.Path);
        Assert.Equal(FlavorOneBytes, long.Parse(File.ReadAllText(memoryGroup.LimitFile).Trim()));

        // Every process of the instance (the guest too), not only the server.
        foreach (var (pid, commandLine) in ProcessTable.Mentioning(id))
        {
            Assert.True(MemoryCgroup(pid).Path == memoryGroup.Path, $"{pid} ({commandLine}) is outside the instance's cgroup");
        }

        TroveClient.Expect(await Client.DeleteAsync(Admin, $"instances/{id}"), 202);
        await Client.WaitUntilGoneAsync(Admin, id);
        Assert.False(Directory.Exists(Path.GetDirectoryName(memoryGroup.LimitFile)), $"{memoryGroup.LimitFile} is left behind");
    }

    [CgroupFact]
    public async Task AProcessOverTheMemoryLimit_IsKilledInsideTheInstance_AndCountedInShow_WhileTheDatabaseAnswers()
    {
        const string password = "Oom-App-1";
        var id = (await Client.CreateInstanceAsync(Admin, TroveClient.InstanceBody("oom", "shop", "app", password)))["id"]!.GetValue<string>();
        var ip = (await Client.WaitForActiveAsync(Admin, id))["ip"]![0]!.GetValue<string>();
        var before = await OomKillsAsync(id);
        Assert.True(before == 0, $"a fresh instance shows oom_kills {before}");

        // tail keeps a line without a newline whole: 900 MB, inside the instance's 512 MB group.
        var mariadbd = ProcessTable.Mentioning(id).Single(p => p.CommandLine.Contains("mariadbd", StringComparison.Ordinal));
        var procs = Path.Combine(Path.GetDirectoryName(MemoryCgroup(mariadbd.Pid).LimitFile)!, "cgroup.procs");
        var hog = await ProcessRunner.RunAsync("/bin/sh", ["-c", $"echo $$ > {procs} && head -c 900M /dev/zero | tail > /dev/null"]);
        Assert.False(hog.Succeeded, $"a process using 900 MB in a 512 MB group was not stopped: {hog}");

        await Poll.UntilAsync(async () => await OomKillsAsync(id) > 0, "show does not count the process killed for exceeding the memory limit", 15);
        Assert.Contains("shop", await MariaDbClient.QueryOkAsync(ip, "app", password, "shop", "SELECT DATABASE()"), StringComparison.Ordinal);
        await Client.WaitForActiveAsync(Admin, id);

        TroveClient.Expect(await Client.DeleteAsync(Admin, $"instances/{id}"), 202);
        await Client.WaitUntilGoneAsync(Admin, id);
    }

    private async Task<long> OomKillsAsync(string id)
    {
        var resources = TroveClient.Expect(await Client.GetAsync(Admin, $"instances/{id}"), 200).Object["instance"]!["resources"]!.AsObject();
        Assert.True(resources["oom_kills"] is JsonValue, $"show has no resources.oom_kills: {resources}");
        return resources["oom_kills"]!.GetValue<long>();
    }

    /// <summary>The process's memory cgroup, from /proc/pid/cgroup: v1's memory hierarchy if mounted, else v2's.</summary>
    private static (string Path, string LimitFile) MemoryCgroup(int pid)
    {
        var fields = File.ReadAllLines($"/proc/{pid}/cgroup").Select(l => l.Split(':', 3)).Where(f => f.Length == 3).ToList();
        if (fields.FirstOrDefault(f => f[1].Split(',').Contains("memory")) is { } v1)
        {
            return (v1[2], $"/sys/fs/cgroup/memory{v1[2]}/memory.limit_in_bytes");
        }

        var v2 = fields.Single(f => f[0] == "0")[2];
        return (v2, $"/sys/fs/cgroup{v2}/memory.max");
    }
}

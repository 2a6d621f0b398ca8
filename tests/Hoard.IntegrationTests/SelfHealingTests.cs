using System.Diagnostics;
using System.Text.Json.Nodes;
using Hoard.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Hoard.IntegrationTests;

/// <summary>
/// What users see when an instance's database server or guest fails, and that it comes back by itself: a full
/// volume is a fault (cleared once there is room again), a killed server is restarted by its guest, and a killed
/// guest is marked SHUTDOWN by the conductor and started again by the reconciler.
/// </summary>
[Collection(HoardServerCollection.Name)]
[Trait("Category", "Integration")]
public sealed class SelfHealingTests(HoardServerFixture server, ITestOutputHelper output)
{
    private const string Password = "Heal-App-1";
    private const string VolumeFull = "The volume is full";

    private TroveClient Client => server.Client;

    private TroveSession Admin => server.Admin;

    [LoopFact]
    public async Task FullVolume_IsAFaultWhileReadsGoOn_AndResizingTheVolumeClearsIt()
    {
        var (id, ip) = await CreateWithDataAsync("heal-full");
        var volume = await LoopVolumeAsync(id);

        await FillAsync(volume, "ballast");
        var full = await WaitForFaultAsync(id, m => m.StartsWith(VolumeFull, StringComparison.Ordinal), "a volume-full fault");
        Assert.Contains("ENOSPC", full["fault"]!["message"]!.GetValue<string>());
        Assert.Contains("1.0 GB of 1.0 GB used", full["fault"]!["message"]!.GetValue<string>());
        Assert.Equal("ACTIVE", full["status"]!.GetValue<string>());
        Assert.Equal("1", (await MariaDbClient.QueryOkAsync(ip, "app", Password, "shop", "SELECT COUNT(*) FROM kept")).Trim());

        var watch = Stopwatch.StartNew();
        TroveClient.Expect(await Client.PostAsync(Admin, $"instances/{id}/action", """{"resize":{"volume":{"size":2}}}"""), 202);
        var resized = await Client.WaitForActiveAsync(Admin, id);
        await WaitForNoVolumeFaultAsync(id);
        output.WriteLine($"resize to ACTIVE/HEALTHY without the volume fault: {watch.Elapsed.TotalSeconds:0.0} s");

        Assert.Equal(2, resized["volume"]!["size"]!.GetValue<int>());
        await MariaDbClient.QueryOkAsync(ip, "app", Password, "shop", "INSERT INTO kept VALUES (2)");
        Assert.Equal("2", (await MariaDbClient.QueryOkAsync(ip, "app", Password, "shop", "SELECT COUNT(*) FROM kept")).Trim());
        await DeleteAsync(id);
    }

    [LoopFact]
    public async Task ServerDyingOnAFullVolume_IsReportedWithTheReason_AndRecoversOnceSpaceIsFreed()
    {
        var (id, ip) = await CreateWithDataAsync("heal-enospc");
        var volume = await LoopVolumeAsync(id);
        await MariaDbClient.QueryOkAsync(ip, "app", Password, "shop", "CREATE TABLE big (id INT AUTO_INCREMENT PRIMARY KEY, b LONGBLOB)");
        var before = ServerPid(id);

        var ballast = await FillAsync(volume, "ballast");
        var write = await MariaDbClient.QueryAsync(ip, "app", Password, "shop", "INSERT INTO big (b) VALUES (REPEAT('y', 8388608))");
        Assert.False(write.Succeeded, $"an 8 MB write to a full volume succeeded: {write}");
        output.WriteLine($"the write on the full volume: {write.Stderr.Trim()}");
        // MariaDB 10.11 aborts on it ("[FATAL] InnoDB: Error (Out of disk space) in rollback"); where it survives, it dies here.
        if (ServerPidIfRunning(id) == before)
        {
            output.WriteLine("mariadbd survived the write; killing it");
            Process.GetProcessById(before).Kill();
        }

        var full = await WaitForFaultAsync(id, m => m.StartsWith(VolumeFull, StringComparison.Ordinal), "a volume-full fault");
        Assert.NotEqual("ERROR", full["status"]!.GetValue<string>());
        await Poll.UntilAsync(() => Task.FromResult(GuestLog(id).Contains("Server crash reported", StringComparison.Ordinal)),
            "the guest did not report the server's crash", 30, () => GuestLog(id));

        var watch = Stopwatch.StartNew();
        File.Delete(ballast);
        var crash = await WaitForNoVolumeFaultAsync(id);
        var message = crash["fault"]?["message"]?.GetValue<string>() ?? "";
        Assert.Contains("The database server stopped unexpectedly", message);
        Assert.Contains("while the volume was full", message);
        Assert.StartsWith("mariadbd ", crash["fault"]?["details"]?.GetValue<string>());

        // MariaDB's Aria engine looks for free space again once a minute.
        await Client.WaitForActiveAsync(Admin, id, seconds: 150);
        output.WriteLine($"space freed to ACTIVE/HEALTHY: {watch.Elapsed.TotalSeconds:0.0} s");
        await MariaDbClient.QueryOkAsync(ip, "app", Password, "shop", "INSERT INTO kept VALUES (2)");
        Assert.Equal("2", (await MariaDbClient.QueryOkAsync(ip, "app", Password, "shop", "SELECT COUNT(*) FROM kept")).Trim());
        await DeleteAsync(id);
    }

    [Fact]
    public async Task KilledDatabaseServer_IsRestartedByItsGuest_AndTheCrashIsRecorded()
    {
        var (id, ip) = await CreateWithDataAsync("heal-server");
        var killed = ServerPid(id);

        var watch = Stopwatch.StartNew();
        Process.GetProcessById(killed).Kill();
        var seen = new List<string>();
        var crash = await WaitForFaultAsync(id, m => m.Contains("stopped unexpectedly", StringComparison.Ordinal), "a crash fault", seen);
        await Poll.UntilAsync(async () => (await MariaDbClient.QueryAsync(ip, "app", Password, "shop", "SELECT v FROM kept")).Stdout.Trim() == "1",
            "the data could not be read after the server was killed", 60, () => ProcessTable.Describe(ProcessTable.Mentioning(id)));
        var active = await Client.WaitForActiveAsync(Admin, id, seconds: 60);
        output.WriteLine($"kill -9 of mariadbd to ACTIVE/HEALTHY: {watch.Elapsed.TotalSeconds:0.0} s; operating_status seen: {string.Join(", ", seen.Distinct())}");

        Assert.NotEqual(killed, ServerPid(id));
        Assert.Contains("SIGKILL", crash["fault"]!["message"]!.GetValue<string>());
        Assert.Equal("ACTIVE", active["status"]!.GetValue<string>());
        Assert.Contains("exited unexpectedly with code 137", GuestLog(id));
        await DeleteAsync(id);
    }

    [Fact]
    public async Task KilledGuest_IsMarkedShutdown_ThenStartedAgain_WithItsData()
    {
        var (id, ip) = await CreateWithDataAsync("heal-guest");
        var guest = GuestPid(id);
        var databaseServer = ServerPid(id);

        var watch = Stopwatch.StartNew();
        Process.GetProcessById(guest).Kill();
        // Only the guest is gone: the database server goes on serving.
        Assert.Equal("1", (await MariaDbClient.QueryOkAsync(ip, "app", Password, "shop", "SELECT v FROM kept")).Trim());
        Assert.Equal(databaseServer, ServerPid(id));

        // SHUTDOWN may show for only a fraction of a second (the reconciler restarts the guest as soon as the conductor has
        // marked it, and the new guest reports at once), which a poller on a loaded machine can miss. The reconciler
        // restarts only a guest the conductor marked SHUTDOWN, and records that as a fault: either proves the transition.
        const string RestartFault = "The guest agent was not running";
        JsonObject? last = null;
        await Poll.UntilAsync(async () =>
        {
            last = TroveClient.Expect(await Client.GetAsync(Admin, $"instances/{id}"), 200).Object["instance"]!.AsObject();
            return last["operating_status"]!.GetValue<string>() == "SHUTDOWN" ||
                   last["fault"]?["message"]?.GetValue<string>().StartsWith(RestartFault, StringComparison.Ordinal) == true;
        }, "the instance of the killed guest was not marked SHUTDOWN", HoardServerFixture.HeartbeatExpirySeconds + 30,
            () => $"{last?.ToJsonString() ?? "nothing"}\nguest.log:\n{GuestLog(id)}\nhoard-server:\n{server.ServerLog}", intervalMs: 25);
        var shutdownAfter = watch.Elapsed;
        var sawShutdown = last!["operating_status"]!.GetValue<string>() == "SHUTDOWN";
        Assert.Equal("ACTIVE", last["status"]!.GetValue<string>());

        await Poll.UntilAsync(async () =>
        {
            last = TroveClient.Expect(await Client.GetAsync(Admin, $"instances/{id}"), 200).Object["instance"]!.AsObject();
            return last["operating_status"]!.GetValue<string>() != "SHUTDOWN";
        }, "the instance of the killed guest stayed SHUTDOWN", 60, () => last?.ToJsonString() ?? "nothing", intervalMs: 25);
        var shutdownFor = watch.Elapsed - shutdownAfter;
        await WaitForFaultAsync(id, m => m.StartsWith(RestartFault, StringComparison.Ordinal), "the guest's restart as a fault");
        output.WriteLine(sawShutdown ? "SHUTDOWN was seen" : "SHUTDOWN was too brief to see; the restart fault shows it");
        await Client.WaitForActiveAsync(Admin, id, seconds: 60);
        output.WriteLine($"kill -9 of the guest: SHUTDOWN after {shutdownAfter.TotalSeconds:0.0} s (shown for {shutdownFor.TotalSeconds:0.00} s), ACTIVE/HEALTHY after {watch.Elapsed.TotalSeconds:0.0} s");
        Assert.NotEqual(guest, GuestPid(id));
        Assert.Equal("1", (await MariaDbClient.QueryOkAsync(ip, "app", Password, "shop", "SELECT v FROM kept")).Trim());
        await DeleteAsync(id);
    }

    private async Task<(string Id, string Ip)> CreateWithDataAsync(string name)
    {
        var id = (await Client.CreateInstanceAsync(Admin, TroveClient.InstanceBody(name, "shop", "app", Password)))["id"]!.GetValue<string>();
        var ip = (await Client.WaitForActiveAsync(Admin, id))["ip"]![0]!.GetValue<string>();
        await MariaDbClient.QueryOkAsync(ip, "app", Password, "shop", "CREATE TABLE kept (v INT); INSERT INTO kept VALUES (1);");
        return (id, ip);
    }

    private async Task<string> LoopVolumeAsync(string id)
    {
        var volume = Path.Combine(server.DataDir, "volumes", id);
        var mounted = await ProcessRunner.RunAsync("/usr/bin/findmnt", ["--noheadings", "--mountpoint", volume]);
        Assert.True(mounted.Succeeded, $"{volume} is not a mounted loopfs volume (set HOARD_TEST_NO_LOOP=1 where loop devices do not work): {mounted}");
        return volume;
    }

    /// <summary>Takes all but 1 MB of the volume's free space with a file (fallocate: no data is written).</summary>
    private static async Task<string> FillAsync(string volume, string name)
    {
        var path = Path.Combine(volume, name);
        var free = new DriveInfo(volume).AvailableFreeSpace;
        var fill = await ProcessRunner.RunAsync("/usr/bin/fallocate", ["-l", (free - (1L << 20)).ToString(System.Globalization.CultureInfo.InvariantCulture), path]);
        Assert.True(fill.Succeeded, fill.ToString());
        return path;
    }

    /// <summary>Polls the instance until it has a fault whose message matches; the operating statuses seen go to <paramref name="seen"/>.</summary>
    private async Task<JsonObject> WaitForFaultAsync(string id, Func<string, bool> matches, string what, List<string>? seen = null)
    {
        JsonObject? last = null;
        await Poll.UntilAsync(async () =>
        {
            last = TroveClient.Expect(await Client.GetAsync(Admin, $"instances/{id}"), 200).Object["instance"]!.AsObject();
            seen?.Add(last["operating_status"]!.GetValue<string>());
            return last["fault"]?["message"]?.GetValue<string>() is { } message && matches(message);
        }, $"instance {id} did not show {what}", 30, () => last?.ToJsonString() ?? "nothing", intervalMs: 100);
        return last!;
    }

    /// <summary>Polls the instance until the fault it shows, if any, is not a volume-full fault.</summary>
    private async Task<JsonObject> WaitForNoVolumeFaultAsync(string id)
    {
        JsonObject? last = null;
        await Poll.UntilAsync(async () =>
        {
            last = TroveClient.Expect(await Client.GetAsync(Admin, $"instances/{id}"), 200).Object["instance"]!.AsObject();
            return last["fault"]?["message"]?.GetValue<string>() is not { } message || !message.StartsWith(VolumeFull, StringComparison.Ordinal);
        }, $"the volume-full fault of instance {id} did not clear", 30, () => last?.ToJsonString() ?? "nothing", intervalMs: 100);
        return last!;
    }

    private async Task DeleteAsync(string id)
    {
        TroveClient.Expect(await Client.DeleteAsync(Admin, $"instances/{id}"), 202);
        await Client.WaitUntilGoneAsync(Admin, id, seconds: 120);
    }

    private static int ServerPid(string id) => ServerPidIfRunning(id) ?? throw new Xunit.Sdk.XunitException(
        $"instance {id} has no mariadbd: {ProcessTable.Describe(ProcessTable.Mentioning(id))}");

    /// <summary>Null while the guest waits to restart a crashed server.</summary>
    private static int? ServerPidIfRunning(string id) => OneProcess(id, "/usr/sbin/mariadbd ");

    private static int GuestPid(string id) => OneProcess(id, "hoard-guest.dll ") ?? throw new Xunit.Sdk.XunitException(
        $"instance {id} has no guest: {ProcessTable.Describe(ProcessTable.Mentioning(id))}");

    private static int? OneProcess(string id, string executable)
    {
        var found = ProcessTable.Mentioning(id).Where(p => p.CommandLine.Contains(executable, StringComparison.Ordinal)).ToList();
        Assert.True(found.Count <= 1, $"more than one {executable.Trim()} of instance {id}: {ProcessTable.Describe(found)}");
        return found.Count == 0 ? null : found[0].Pid;
    }

    private string GuestLog(string id)
    {
        using var stream = new FileStream(Path.Combine(server.DataDir, "instances", id, "log", "guest.log"), FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        return new StreamReader(stream).ReadToEnd();
    }
}

using System.Diagnostics;
using Hoard.Contracts.Guest;
using Hoard.Guest.Datastores.MariaDb;
using Xunit.Abstractions;

namespace Hoard.Guest.Tests.Datastores.MariaDb;

/// <summary>Starting, stopping, restarting and crashing a real MariaDB prepared by the manager.</summary>
public sealed class MariaDbLifecycleTests(MariaDbFixture fixture, ITestOutputHelper output) : IClassFixture<MariaDbFixture>
{
    private static readonly CancellationToken None = CancellationToken.None;
    private MariaDbManager Manager => fixture.Manager;

    [Fact]
    public void Prepare_ReportsHowLongEachStepTook()
    {
        var timings = Manager.LastPrepareTimings!;
        output.WriteLine($"prepare: install-db {timings.InstallDb.TotalSeconds:0.000} s, start {timings.Start.TotalSeconds:0.000} s, " +
            $"secure {timings.Secure.TotalSeconds:0.000} s, databases and users {timings.CreateObjects.TotalSeconds:0.000} s, " +
            $"total {timings.Total.TotalSeconds:0.000} s (PrepareAsync as seen by the caller: {fixture.PrepareTime.TotalSeconds:0.000} s)");

        Assert.True(timings.InstallDb > TimeSpan.Zero && timings.Start > TimeSpan.Zero);
        Assert.True(timings.InstallDb + timings.Start + timings.Secure + timings.CreateObjects <= timings.Total + TimeSpan.FromMilliseconds(1));
        Assert.Contains(fixture.Instance.LogLines, line => line.StartsWith("mariadb: prepared in", StringComparison.Ordinal));
    }

    [Fact]
    public async Task IdleServer_FitsA512MbFlavor()
    {
        await EnsureHealthyAsync();
        var pid = Manager.Server.Supervisor!.Pid!.Value;

        var rssKb = long.Parse(File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
        output.WriteLine($"mariadbd idle RSS with the {MariaDbFixture.MemoryMb} MB config: {rssKb / 1024.0:0.0} MB");

        Assert.InRange(rssKb, 1, MariaDbFixture.MemoryMb * 1024 / 2);
    }

    [Fact]
    public async Task Server_RunsAsTheServiceUser()
    {
        await EnsureHealthyAsync();
        var pid = Manager.Server.Supervisor!.Pid!.Value;

        var uid = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("Uid:", StringComparison.Ordinal))
            .Split('\t', StringSplitOptions.RemoveEmptyEntries)[1];
        var dbaas = File.ReadLines("/etc/passwd").First(l => l.StartsWith("dbaas:", StringComparison.Ordinal)).Split(':')[2];
        Assert.Equal(dbaas, uid);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Manager.Server.Paths.AdminCredentials));
        Assert.DoesNotContain("password", File.ReadAllText($"/proc/{pid}/cmdline"), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Restart_KeepsData()
    {
        WriteRow("restart_check", 7);

        await Manager.RestartAsync(None);

        Assert.Equal(ServiceStatus.Healthy, await Manager.ProbeAsync(None));
        Assert.Equal("7", ReadRow("restart_check"));
    }

    [Fact]
    public async Task StopAndStart_AreReportedByTheProbe()
    {
        await EnsureHealthyAsync();
        var pid = Manager.Server.Supervisor!.Pid!.Value;

        await Manager.StopAsync(None);

        Assert.Equal(ServiceStatus.Shutdown, await Manager.ProbeAsync(None));
        Assert.False(Directory.Exists($"/proc/{pid}"));
        Assert.False(File.Exists(Manager.Server.Paths.PidFile));

        await Manager.StartAsync(None);

        Assert.Equal(ServiceStatus.Healthy, await Manager.ProbeAsync(None));
    }

    [Fact]
    public async Task KilledServer_IsRestartedBySupervisorWithItsData()
    {
        await EnsureHealthyAsync();
        WriteRow("crash_check", 42);
        var supervisor = Manager.Server.Supervisor!;
        var pid = supervisor.Pid!.Value;
        var restarts = supervisor.RestartCount;

        Process.GetProcessById(pid).Kill();

        await Poll.UntilAsync(() => supervisor.RestartCount > restarts, "the supervisor never noticed the kill");
        await Poll.UntilAsync(async () => supervisor.Pid is { } now && now != pid && await Manager.ProbeAsync(None) == ServiceStatus.Healthy,
            "mariadbd was not restarted and healthy");
        Assert.Equal("42", ReadRow("crash_check"));
    }

    [Fact]
    public async Task Dispose_StopsItsOwnServerOnly()
    {
        await EnsureHealthyAsync();
        var otherPid = Manager.Server.Supervisor!.Pid!.Value;
        using var instance = MariaDbInstance.Create();
        var manager = instance.CreateManager();
        await manager.PrepareAsync(new PrepareRequest("mariadb", "10.11", 512, 1, 1, [], []), None);
        var pid = manager.Server.Supervisor!.Pid!.Value;

        await manager.DisposeAsync();

        Assert.False(Directory.Exists($"/proc/{pid}"));
        Assert.True(Directory.Exists($"/proc/{otherPid}"));
        Assert.Equal(ServiceStatus.Healthy, await Manager.ProbeAsync(None));
    }

    [Fact]
    public async Task ANewGuest_TakesOverFromAServerLeftRunningByAnEarlierOne()
    {
        using var instance = MariaDbInstance.Create();
        await using (var earlier = instance.CreateManager())
        {
            await earlier.PrepareAsync(new PrepareRequest("mariadb", "10.11", 512, 1, 1, [new DatabaseSpec("kept")], []), None);
        }

        var paths = MariaDbPaths.For(instance.Config.Paths);
        using var orphan = Process.Start(new ProcessStartInfo("/usr/sbin/mariadbd")
        {
            ArgumentList = { $"--defaults-file={paths.ConfigFile}", "--user=dbaas" },
            RedirectStandardError = true,
        })!;
        await Poll.UntilAsync(() => File.Exists(paths.PidFile), "the orphan never wrote its pid file");
        await using var later = instance.CreateManager();

        await later.StartAsync(None);

        Assert.True(orphan.HasExited);
        Assert.NotEqual(orphan.Id, later.Server.Supervisor!.Pid);
        Assert.Equal(ServiceStatus.Healthy, await later.ProbeAsync(None));
        Assert.Contains(await later.ListDatabasesAsync(None), d => d.Name == "kept");
    }

    [Fact]
    public async Task Prepare_WithABadRequest_InstallsNothing()
    {
        using var instance = MariaDbInstance.Create();
        await using var manager = instance.CreateManager();

        var error = await Assert.ThrowsAsync<Hoard.Contracts.Bus.HandlerException>(() => manager.PrepareAsync(
            new PrepareRequest("mariadb", "10.11", 512, 1, 1, [new DatabaseSpec("ok")], [new UserSpec("u", "P-1", "%", ["missing"])]), None));

        Assert.Equal(GuestErrorCodes.DatabaseNotFound, error.Code);
        Assert.False(manager.IsPrepared);
        Assert.False(Directory.Exists(Path.Combine(instance.Config.Paths.Data, "mysql")));
    }

    private async Task EnsureHealthyAsync() =>
        await Poll.UntilAsync(async () => await Manager.ProbeAsync(None) == ServiceStatus.Healthy, "MariaDB was not healthy");

    private void WriteRow(string table, int value)
    {
        using var connection = fixture.ConnectTcp(MariaDbFixture.User, MariaDbFixture.Password, MariaDbFixture.Database);
        connection.Execute($"CREATE TABLE {table} (v INT)");
        connection.Execute($"INSERT INTO {table} VALUES ({value})");
    }

    private string? ReadRow(string table)
    {
        using var connection = fixture.ConnectTcp(MariaDbFixture.User, MariaDbFixture.Password, MariaDbFixture.Database);
        return Assert.Single(connection.Query($"SELECT v FROM {table}"))[0];
    }
}

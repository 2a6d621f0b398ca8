using System.Diagnostics;
using System.Text;
using Hoard.Contracts.Bus;
using Hoard.Contracts.Guest;
using Hoard.Guest.Datastores.Redis;
using Xunit.Abstractions;

namespace Hoard.Guest.Tests.Datastores.Redis;

/// <summary>Starting, stopping, restarting and crashing a real Redis prepared by the manager.</summary>
public sealed class RedisLifecycleTests(RedisFixture fixture, ITestOutputHelper output) : IClassFixture<RedisFixture>
{
    private static readonly CancellationToken None = CancellationToken.None;
    private RedisManager Manager => fixture.Manager;

    [Fact]
    public void Prepare_ReportsHowLongEachStepTook()
    {
        var timings = Manager.LastPrepareTimings!;
        output.WriteLine($"prepare: install {timings.Install.TotalSeconds:0.000} s, start to PONG {timings.Start.TotalSeconds:0.000} s, " +
            $"users {timings.CreateUsers.TotalSeconds:0.000} s, total {timings.Total.TotalSeconds:0.000} s " +
            $"(PrepareAsync as seen by the caller: {fixture.PrepareTime.TotalSeconds:0.000} s)");

        Assert.True(timings.Start > TimeSpan.Zero);
        Assert.True(timings.Install + timings.Start + timings.CreateUsers <= timings.Total + TimeSpan.FromMilliseconds(1));
        Assert.Contains(fixture.Instance.LogLines, line => line.StartsWith("redis: prepared in", StringComparison.Ordinal));
    }

    [Fact]
    public async Task IdleServer_IsSmall()
    {
        await EnsureHealthyAsync();
        var pid = Manager.Server.Supervisor!.Pid!.Value;

        var rssKb = long.Parse(StatusField(pid, "VmRSS:").Split(' ', StringSplitOptions.RemoveEmptyEntries)[0]);
        output.WriteLine($"redis-server idle RSS with the {RedisFixture.MemoryMb} MB config: {rssKb / 1024.0:0.0} MB");

        Assert.InRange(rssKb, 1, 64 * 1024);
    }

    [Fact]
    public async Task Server_RunsAsTheServiceUserWithoutSecretsOnItsCommandLine()
    {
        await EnsureHealthyAsync();
        var pid = Manager.Server.Supervisor!.Pid!.Value;

        var uid = StatusField(pid, "Uid:").Split('\t', StringSplitOptions.RemoveEmptyEntries)[0];
        var dbaas = File.ReadLines("/etc/passwd").First(l => l.StartsWith("dbaas:", StringComparison.Ordinal)).Split(':')[2];
        Assert.Equal(dbaas, uid);
        var paths = Manager.Server.Paths;
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(paths.AdminCredentials));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(paths.RootPassword));
        var admin = File.ReadAllText(paths.AdminCredentials).Trim();
        Assert.DoesNotContain(admin, File.ReadAllText($"/proc/{pid}/cmdline"));
        Assert.DoesNotContain(admin, File.ReadAllText(paths.ConfigFile));
        Assert.DoesNotContain(admin, File.ReadAllText(paths.AclFile));
        Assert.Contains(paths.ConfigFile, File.ReadAllText($"/proc/{pid}/cmdline"));
    }

    [Fact]
    public async Task Restart_KeepsDataAndUsers()
    {
        using (var connection = fixture.ConnectTcp(RedisFixture.User, RedisFixture.Password))
            connection.Execute("SET", "restart:check", "7");
        await Manager.CreateUsersAsync([new UserSpec("survivor", "Survivor-1")], None);

        await Manager.RestartAsync(None);

        Assert.Equal(ServiceStatus.Healthy, await Manager.ProbeAsync(None));
        using var after = fixture.ConnectTcp("survivor", "Survivor-1");
        Assert.Equal("7", after.Execute("GET", "restart:check").AsString());
        Assert.Equal("NOPERM", Assert.Throws<RedisException>(() => after.Execute("FLUSHALL")).ErrorCode);
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
        var key = $"crash:{Guid.NewGuid():N}";
        using (var connection = fixture.ConnectTcp(RedisFixture.User, RedisFixture.Password))
            connection.Execute("SET", key, "42");
        // appendfsync everysec: wait until the write has reached the AOF, not a fixed second.
        await Poll.UntilAsync(() => AofContains(key), "the write never reached the append-only file");
        var supervisor = Manager.Server.Supervisor!;
        var pid = supervisor.Pid!.Value;
        var restarts = supervisor.RestartCount;

        Process.GetProcessById(pid).Kill();

        await Poll.UntilAsync(() => supervisor.RestartCount > restarts, "the supervisor never noticed the kill");
        await Poll.UntilAsync(async () => supervisor.Pid is { } now && now != pid && await Manager.ProbeAsync(None) == ServiceStatus.Healthy,
            "redis-server was not restarted and healthy");
        using var after = fixture.ConnectTcp(RedisFixture.User, RedisFixture.Password);
        Assert.Equal("42", after.Execute("GET", key).AsString());
    }

    [Fact]
    public async Task ANewGuest_TakesOverFromAServerLeftRunningByAnEarlierOne()
    {
        using var instance = RedisInstance.Create();
        await using (var earlier = instance.CreateManager())
        {
            await earlier.PrepareAsync(new PrepareRequest("redis", "7.0", 256, 1, 1, [], [new UserSpec("kept", "Kept-1")]), None);
        }

        var paths = RedisPaths.For(instance.Config.Paths);
        using var orphan = Process.Start(new ProcessStartInfo("/usr/bin/redis-server")
        {
            ArgumentList = { paths.ConfigFile },
            UserName = "dbaas",
            RedirectStandardOutput = true,
        })!;
        await Poll.UntilAsync(() => File.Exists(paths.PidFile) && File.ReadAllText($"/proc/{orphan.Id}/cmdline").Contains(paths.ConfigFile),
            "the orphan never wrote its pid file");
        await using var later = instance.CreateManager();

        await later.StartAsync(None);

        Assert.True(orphan.HasExited);
        Assert.NotEqual(orphan.Id, later.Server.Supervisor!.Pid);
        Assert.Equal(ServiceStatus.Healthy, await later.ProbeAsync(None));
        Assert.Contains(await later.ListUsersAsync(None), u => u.Name == "kept");
    }

    [Fact]
    public async Task Prepare_WithABadRequest_StartsNothing()
    {
        using var instance = RedisInstance.Create();
        await using var manager = instance.CreateManager();

        var error = await Assert.ThrowsAsync<HandlerException>(() => manager.PrepareAsync(
            new PrepareRequest("redis", "7.0", 256, 1, 1, [new DatabaseSpec("db")], []), None));

        Assert.Equal(GuestErrorCodes.NotSupported, error.Code);
        Assert.False(manager.IsPrepared);
        Assert.Null(manager.Server.Supervisor);
        Assert.False(File.Exists(RedisPaths.For(instance.Config.Paths).ConfigFile));
    }

    private bool AofContains(string key)
    {
        var directory = Path.Combine(fixture.Instance.Config.Paths.Data, "appendonlydir");
        var needle = Encoding.UTF8.GetBytes(key);
        return Directory.Exists(directory) && Directory.EnumerateFiles(directory, "*.incr.aof")
            .Any(file => File.ReadAllBytes(file).AsSpan().IndexOf(needle) >= 0);
    }

    private static string StatusField(int pid, string field) =>
        File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith(field, StringComparison.Ordinal))[field.Length..].Trim();

    private async Task EnsureHealthyAsync() =>
        await Poll.UntilAsync(async () => await Manager.ProbeAsync(None) == ServiceStatus.Healthy, "Redis was not healthy");
}

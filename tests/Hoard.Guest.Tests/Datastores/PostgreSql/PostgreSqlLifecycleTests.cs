using System.Diagnostics;
using Hoard.Contracts.Guest;
using Hoard.Guest.Datastores.PostgreSql;
using Npgsql;
using Xunit.Abstractions;

namespace Hoard.Guest.Tests.Datastores.PostgreSql;

/// <summary>Starting, stopping, restarting and crashing a real PostgreSQL prepared by the manager.</summary>
public sealed class PostgreSqlLifecycleTests(PostgreSqlFixture fixture, ITestOutputHelper output) : IClassFixture<PostgreSqlFixture>
{
    private static readonly CancellationToken None = CancellationToken.None;
    private PostgreSqlManager Manager => fixture.Manager;

    [Fact]
    public void Prepare_ReportsHowLongEachStepTook()
    {
        var timings = Manager.LastPrepareTimings!;
        output.WriteLine($"prepare (initdb, no template cache): datadir {timings.DataDirectory.TotalSeconds:0.000} s, start {timings.Start.TotalSeconds:0.000} s, " +
            $"secure {timings.Secure.TotalSeconds:0.000} s, databases and users {timings.CreateObjects.TotalSeconds:0.000} s, " +
            $"total {timings.Total.TotalSeconds:0.000} s (PrepareAsync as seen by the caller: {fixture.PrepareTime.TotalSeconds:0.000} s)");

        Assert.True(timings.DataDirectory > TimeSpan.Zero && timings.Start > TimeSpan.Zero);
        Assert.True(timings.DataDirectory + timings.Start + timings.Secure + timings.CreateObjects <= timings.Total + TimeSpan.FromMilliseconds(1));
        Assert.Contains(fixture.Instance.LogLines, line => line.StartsWith("postgresql: prepared in", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TemplateCache_IsMadeOnceAndCopiedForLaterInstances()
    {
        var cache = Directory.CreateTempSubdirectory("hoard-pg-templates-").FullName;
        TestInstance.Run("chown", "dbaas:dbaas", cache);
        try
        {
            var times = new List<PostgreSqlPrepareTimings>();
            var madeTemplate = new List<bool>();
            for (var i = 0; i < 2; i++)
            {
                using var instance = PostgreSqlInstance.Create(cache);
                await using var manager = instance.CreateManager();
                await manager.PrepareAsync(new PrepareRequest("postgresql", "15", 512, 1, 1, [new DatabaseSpec("cached")],
                    [new UserSpec("cache_user", "Cache-pass-1", "%", ["cached"])]), None);
                times.Add(manager.LastPrepareTimings!);
                madeTemplate.Add(instance.LogLines.Any(line => line.StartsWith("postgresql: made the data directory template", StringComparison.Ordinal)));
                await using var connection = await instance.ConnectTcpAsync("cache_user", "Cache-pass-1", "cached");
                Assert.Equal(ServiceStatus.Healthy, await manager.ProbeAsync(None));
            }

            output.WriteLine($"prepare with the template cache: cold {times[0].Total.TotalSeconds:0.000} s (datadir {times[0].DataDirectory.TotalSeconds:0.000} s), " +
                $"warm {times[1].Total.TotalSeconds:0.000} s (datadir {times[1].DataDirectory.TotalSeconds:0.000} s, start {times[1].Start.TotalSeconds:0.000} s, " +
                $"secure {times[1].Secure.TotalSeconds:0.000} s, objects {times[1].CreateObjects.TotalSeconds:0.000} s)");
            Assert.Single(Directory.GetDirectories(cache), d => Path.GetFileName(d).StartsWith("postgresql-", StringComparison.Ordinal));
            // Made by the first prepare, copied by the second (how much faster that is, the provisioning bench measures).
            Assert.Equal([true, false], madeTemplate);
        }
        finally
        {
            Directory.Delete(cache, recursive: true);
        }
    }

    [Fact]
    public async Task IdleServer_FitsA512MbFlavor()
    {
        await EnsureHealthyAsync();
        var pid = Manager.Server.Supervisor!.Pid!.Value;
        var processes = Directory.GetDirectories("/proc").Select(Path.GetFileName).Where(name => name!.All(char.IsAsciiDigit))
            .Select(name => int.Parse(name!))
            .Where(candidate => candidate == pid || ParentOf(candidate) == pid)
            .ToList();

        var rssKb = StatusKb(pid, "VmRSS:");
        var pssKb = processes.Sum(process => RollupKb(process, "Pss:"));
        output.WriteLine($"postgres idle with the {PostgreSqlFixture.MemoryMb} MB config: postmaster RSS {rssKb / 1024.0:0.0} MB, " +
            $"PSS of all {processes.Count} processes {pssKb / 1024.0:0.0} MB");

        Assert.InRange(rssKb, 1, PostgreSqlFixture.MemoryMb * 1024 / 4);
        Assert.True(processes.Count > 1);
    }

    [Fact]
    public async Task Server_RunsAsTheServiceUserWithoutSecretsOnItsCommandLine()
    {
        await EnsureHealthyAsync();
        var pid = Manager.Server.Supervisor!.Pid!.Value;

        var uid = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("Uid:", StringComparison.Ordinal))
            .Split('\t', StringSplitOptions.RemoveEmptyEntries)[1];
        var dbaas = File.ReadLines("/etc/passwd").First(l => l.StartsWith("dbaas:", StringComparison.Ordinal)).Split(':')[2];
        Assert.Equal(dbaas, uid);
        Assert.DoesNotContain(Manager.Server.Credentials.Password, await File.ReadAllTextAsync($"/proc/{pid}/cmdline"), StringComparison.Ordinal);
        Assert.DoesNotContain(Manager.Server.Credentials.Password, await File.ReadAllTextAsync(Manager.Server.Paths.ServerLog), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Restart_KeepsData()
    {
        await WriteRowAsync("restart_check", 7);

        await Manager.RestartAsync(None);

        Assert.Equal(ServiceStatus.Healthy, await Manager.ProbeAsync(None));
        Assert.Equal("7", await ReadRowAsync("restart_check"));
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
        await WriteRowAsync("crash_check", 42);
        var supervisor = Manager.Server.Supervisor!;
        var pid = supervisor.Pid!.Value;
        var restarts = supervisor.RestartCount;

        Process.GetProcessById(pid).Kill();

        await Poll.UntilAsync(() => supervisor.RestartCount > restarts, "the supervisor never noticed the kill");
        await Poll.UntilAsync(async () => supervisor.Pid is { } now && now != pid && await Manager.ProbeAsync(None) == ServiceStatus.Healthy,
            "postgres was not restarted and healthy");
        Assert.Equal("42", await ReadRowAsync("crash_check"));
    }

    [Fact]
    public async Task ANewGuest_TakesOverFromAServerLeftRunningByAnEarlierOne()
    {
        using var instance = PostgreSqlInstance.Create();
        await using (var earlier = instance.CreateManager())
            await earlier.PrepareAsync(new PrepareRequest("postgresql", "15", 512, 1, 1, [new DatabaseSpec("kept")], []), None);

        var paths = PostgreSqlPaths.For(instance.Config.Paths);
        using var orphan = Process.Start(new ProcessStartInfo("/usr/lib/postgresql/15/bin/postgres")
        {
            ArgumentList = { "-D", paths.DataDirectory },
            UserName = "dbaas",
            WorkingDirectory = "/",
            RedirectStandardError = true,
        })!;
        try
        {
            await Poll.UntilAsync(() => File.Exists(paths.PidFile), "the orphan never wrote its pid file");
            await using var later = instance.CreateManager();

            await later.StartAsync(None);

            Assert.True(orphan.HasExited);
            Assert.NotEqual(orphan.Id, later.Server.Supervisor!.Pid);
            Assert.Equal(ServiceStatus.Healthy, await later.ProbeAsync(None));
            Assert.Contains(await later.ListDatabasesAsync(None), d => d.Name == "kept");
        }
        finally
        {
            if (!orphan.HasExited)
                orphan.Kill();
        }
    }

    [Fact]
    public async Task Prepare_WithABadRequest_InstallsNothing()
    {
        using var instance = PostgreSqlInstance.Create();
        await using var manager = instance.CreateManager();

        var error = await Assert.ThrowsAsync<Hoard.Contracts.Bus.HandlerException>(() => manager.PrepareAsync(
            new PrepareRequest("postgresql", "15", 512, 1, 1, [new DatabaseSpec("ok")], [new UserSpec("u", "P-1", "%", ["missing"])]), None));

        Assert.Equal(GuestErrorCodes.DatabaseNotFound, error.Code);
        Assert.False(manager.IsPrepared);
        Assert.False(Directory.Exists(PostgreSqlPaths.For(instance.Config.Paths).DataDirectory));
    }

    private async Task EnsureHealthyAsync()
    {
        if (Manager.Server.Supervisor is not { IsSupervising: true })
            await Manager.StartAsync(None);
        await Poll.UntilAsync(async () => await Manager.ProbeAsync(None) == ServiceStatus.Healthy, "postgres never became healthy");
    }

    private async Task WriteRowAsync(string table, int value)
    {
        await EnsureHealthyAsync();
        await using var connection = await fixture.ConnectTcpAsync(PostgreSqlFixture.User, PostgreSqlFixture.Password);
        await using var command = new NpgsqlCommand($"CREATE TABLE {table} (v INT); INSERT INTO {table} VALUES ({value})", connection);
        await command.ExecuteNonQueryAsync();
    }

    private async Task<string?> ReadRowAsync(string table)
    {
        await using var connection = await fixture.ConnectTcpAsync(PostgreSqlFixture.User, PostgreSqlFixture.Password);
        await using var command = new NpgsqlCommand($"SELECT v FROM {table}", connection);
        return Convert.ToString(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static int? ParentOf(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1]);
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static long StatusKb(int pid, string key) =>
        long.Parse(File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith(key, StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);

    private static long RollupKb(int pid, string key)
    {
        try
        {
            return File.ReadLines($"/proc/{pid}/smaps_rollup").Where(l => l.StartsWith(key, StringComparison.Ordinal))
                .Sum(l => long.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]));
        }
        catch (IOException)
        {
            return 0;
        }
    }
}

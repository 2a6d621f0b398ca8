using System.Diagnostics;
using Hoard.Guest.Datastores;

namespace Hoard.Guest.Tests.Datastores;

public sealed class ServerSupervisorTests
{
    private static ProcessStartInfo Sleep() => new("/bin/sleep") { ArgumentList = { "300" } };

    [Fact]
    public async Task StartAsync_RunsTheProcess()
    {
        await using var supervisor = new ServerSupervisor("sleep", Sleep);

        await supervisor.StartAsync(CancellationToken.None);

        Assert.True(supervisor.IsRunning);
        Assert.True(supervisor.IsSupervising);
        Assert.True(ProcessExists(supervisor.Pid!.Value));
    }

    [Fact]
    public async Task AKilledProcess_IsRestartedAndReported()
    {
        var crashes = new List<ServerCrash>();
        await using var supervisor = new ServerSupervisor("sleep", Sleep, onCrash: crash =>
        {
            lock (crashes)
                crashes.Add(crash);
        });
        await supervisor.StartAsync(CancellationToken.None);
        var first = supervisor.Pid!.Value;

        Process.GetProcessById(first).Kill();

        await Until(() => supervisor.Pid is { } pid && pid != first, "the supervisor never started a new process");
        Assert.Equal(1, supervisor.RestartCount);
        lock (crashes)
        {
            var crash = Assert.Single(crashes);
            Assert.Equal(ServerSupervisor.InitialBackoff, crash.RestartDelay);
            Assert.Equal(137, crash.ExitCode);
        }
    }

    [Fact]
    public async Task RepeatedCrashes_BackOffExponentially()
    {
        var delays = new List<TimeSpan>();
        await using var supervisor = new ServerSupervisor(
            "false", () => new ProcessStartInfo("/bin/false"), onCrash: crash =>
            {
                lock (delays)
                    delays.Add(crash.RestartDelay);
            });
        await supervisor.StartAsync(CancellationToken.None);

        await Until(() => supervisor.RestartCount >= 3, "the process was not restarted three times");

        lock (delays)
            Assert.Equal([0.5, 1.0, 2.0], delays.Take(3).Select(d => d.TotalSeconds));
    }

    [Fact]
    public async Task StopAsync_RunsTheGracefulStopAndDoesNotRestart()
    {
        await using var supervisor = new ServerSupervisor("sleep", Sleep);
        await supervisor.StartAsync(CancellationToken.None);
        var pid = supervisor.Pid!.Value;
        var graceful = false;

        await supervisor.StopAsync(() =>
        {
            graceful = true;
            Process.GetProcessById(pid).Kill();
            return Task.CompletedTask;
        }, TimeSpan.FromSeconds(10));

        Assert.True(graceful);
        Assert.False(supervisor.IsRunning);
        Assert.False(supervisor.IsSupervising);
        Assert.Equal(0, supervisor.RestartCount);
        Assert.False(ProcessExists(pid));
    }

    [Fact]
    public async Task StopAsync_KillsAProcessThatIgnoresTheGracefulStop()
    {
        await using var supervisor = new ServerSupervisor("sleep", Sleep);
        await supervisor.StartAsync(CancellationToken.None);
        var pid = supervisor.Pid!.Value;
        var watch = Stopwatch.StartNew();

        await supervisor.StopAsync(() => Task.CompletedTask, TimeSpan.FromMilliseconds(200));

        Assert.False(ProcessExists(pid));
        Assert.InRange(watch.Elapsed, TimeSpan.FromMilliseconds(150), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Output_GoesToTheLogFile()
    {
        var log = Path.Combine(Path.GetTempPath(), $"supervisor-{Guid.NewGuid():N}.log");
        try
        {
            await using var supervisor = new ServerSupervisor(
                "sh", () => new ProcessStartInfo("/bin/sh") { ArgumentList = { "-c", "echo out; echo err >&2; exec sleep 300" } }, log);
            await supervisor.StartAsync(CancellationToken.None);

            await Until(() => File.Exists(log) && ReadShared(log).Contains("err", StringComparison.Ordinal)
                && ReadShared(log).Contains("out", StringComparison.Ordinal), "stdout and stderr never reached the log file");
        }
        finally
        {
            File.Delete(log);
        }
    }

    private static string ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        return new StreamReader(stream).ReadToEnd();
    }

    /// <summary>Alive, and not a zombie waiting to be reaped.</summary>
    private static bool ProcessExists(int pid)
    {
        try
        {
            return !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static Task Until(Func<bool> condition, string failure) => Poll.UntilAsync(condition, failure, 15);
}

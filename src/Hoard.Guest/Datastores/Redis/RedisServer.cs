using System.Diagnostics;
using Hoard.Contracts.Bus;
using Hoard.Contracts.Guest;
using Hoard.Guest.Datastores.Native;

namespace Hoard.Guest.Datastores.Redis;

/// <summary>
/// The <c>redis-server</c> process of one instance: writing its configuration and ACL file, starting it under a
/// <see cref="ServerSupervisor"/> (as the service user when the guest runs as root), waiting for its PONG,
/// and stopping it.
/// </summary>
internal sealed class RedisServer(GuestConfig config, RedisOptions options, Action<string> log) : IAsyncDisposable
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);

    private readonly bool _asRoot = LibC.IsRoot;
    private string? _adminPassword;
    private ServerSupervisor? _supervisor;

    public RedisPaths Paths { get; } = RedisPaths.For(config.Paths);

    public ServerSupervisor? Supervisor => _supervisor;

    /// <summary>
    /// Writes the configuration and an ACL file in which <c>default</c> and <c>os_admin</c> already have their
    /// passwords (as hashes), so the server never runs a moment without authentication.
    /// </summary>
    public async Task InstallAsync(string redisConf, string adminPassword, string defaultPassword, CancellationToken cancellationToken)
    {
        foreach (var directory in new[] { config.Paths.Data, config.Paths.Run, config.Paths.Log, config.Paths.Etc })
            Directory.CreateDirectory(directory);
        await StopOrphanAsync(graceful: false, cancellationToken);
        // Only an unfinished prepare leaves data behind; it holds nothing anyone created.
        foreach (var leftover in new[] { "dump.rdb", "appendonlydir" }.Select(name => Path.Combine(Paths.DataDirectory, name)))
        {
            if (File.Exists(leftover))
                File.Delete(leftover);
            else if (Directory.Exists(leftover))
                Directory.Delete(leftover, recursive: true);
        }

        RedisSecretFile.Write(Paths.AdminCredentials, adminPassword);
        RedisSecretFile.Write(Paths.RootPassword, defaultPassword);
        _adminPassword = adminPassword;
        await File.WriteAllTextAsync(Paths.ConfigFile, redisConf, cancellationToken);
        await File.WriteAllTextAsync(Paths.AclFile,
            $"user {RedisAcl.DefaultUser} on {RedisAcl.PasswordHash(defaultPassword)} {string.Join(' ', RedisAcl.AllRules())}\n" +
            $"user {RedisAcl.AdminUser} on {RedisAcl.PasswordHash(adminPassword)} {string.Join(' ', RedisAcl.AllRules())}\n",
            cancellationToken);
        // ACL SAVE writes a temporary file next to the ACL file, so the server needs the directory too.
        GiveToServiceUser(config.Paths.Data, config.Paths.Run, config.Paths.Log, config.Paths.Etc, Paths.ConfigFile, Paths.AclFile);
    }

    /// <summary>Starts the server under a new supervisor.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_supervisor is { IsSupervising: true })
            return;
        await StopOrphanAsync(graceful: true, cancellationToken);
        if (_supervisor is not null)
            await _supervisor.DisposeAsync();
        _supervisor = null;

        var supervisor = new ServerSupervisor("redis-server", ServerStartInfo, Paths.OutputLog, log);
        try
        {
            await supervisor.StartAsync(cancellationToken);
        }
        catch
        {
            await supervisor.DisposeAsync();
            throw;
        }

        _supervisor = supervisor;
    }

    /// <summary>Polls the unix socket as the guest's administrator until the server answers PING.</summary>
    public async Task WaitUntilAnsweringAsync(CancellationToken cancellationToken)
    {
        var supervisor = _supervisor ?? throw new InvalidOperationException("The server has not been started.");
        var restarts = supervisor.RestartCount;
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                using var connection = OpenAdmin(options.ProbeTimeout);
                connection.Execute("PING");
                return;
            }
            catch (RedisException e) when ((e.IsConnectionFailure || e.ErrorCode == "LOADING")
                && Stopwatch.GetElapsedTime(started) < options.StartTimeout
                && supervisor.RestartCount == restarts && supervisor.IsRunning)
            {
            }
            catch (RedisException e)
            {
                var why = !supervisor.IsRunning || supervisor.RestartCount != restarts ? "redis-server exited" : e.Message;
                throw new HandlerException(GuestErrorCodes.Internal,
                    $"Redis did not come up within {options.StartTimeout.TotalSeconds:0} s ({why}). Last lines of {Paths.ServerLog}: {LastLines(ReadLog(), 8)}");
            }

            await Task.Delay(PollInterval, cancellationToken);
        }
    }

    public RedisConnection OpenAdmin(TimeSpan timeout)
    {
        if (_adminPassword is null && !File.Exists(Paths.AdminCredentials))
            throw new HandlerException(GuestErrorCodes.NotReady, "Redis has not been prepared yet.");
        _adminPassword ??= RedisSecretFile.Read(Paths.AdminCredentials);
        return RedisConnection.OpenUnix(Paths.Socket, RedisAcl.AdminUser, _adminPassword, timeout);
    }

    /// <summary>Shuts the server down with <c>SHUTDOWN</c> (it saves and syncs first), killing it if it has not exited by the stop timeout.</summary>
    public async Task StopAsync()
    {
        if (_supervisor is null)
            return;
        var pid = _supervisor.Pid;
        await _supervisor.StopAsync(() => Task.Run(() => Shutdown(pid)), options.StopTimeout);
        await _supervisor.DisposeAsync();
        _supervisor = null;
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    /// <summary>
    /// <c>SHUTDOWN</c> answers by closing the connection; an error reply (a failed final save, say) or no
    /// connection at all falls back to SIGTERM, which Redis also takes as a clean shutdown.
    /// </summary>
    private void Shutdown(int? pid)
    {
        try
        {
            using var connection = OpenAdmin(options.ProbeTimeout);
            try
            {
                connection.Execute("SHUTDOWN");
            }
            catch (RedisException e) when (e.IsConnectionFailure)
            {
                return;
            }
        }
        catch (Exception e) when (e is RedisException or HandlerException or IOException or InvalidDataException)
        {
            if (pid is { } id && LibC.SendSignal(id, LibC.SigTerm))
                log($"redis: SHUTDOWN failed ({e.Message}); sent SIGTERM to pid {id}.");
        }
    }

    private ProcessStartInfo ServerStartInfo()
    {
        var startInfo = new ProcessStartInfo(options.ServerPath) { ArgumentList = { Paths.ConfigFile } };
        if (_asRoot)
            startInfo.UserName = options.ServiceUser;
        return startInfo;
    }

    /// <summary>
    /// A server left running by an earlier guest process holds the port and the data files. Stop it (or kill
    /// it, when its data is about to be discarded), but only if its process title names this instance's config.
    /// </summary>
    private async Task StopOrphanAsync(bool graceful, CancellationToken cancellationToken)
    {
        if (!File.Exists(Paths.PidFile) || !int.TryParse(File.ReadAllText(Paths.PidFile).Trim(), out var pid))
            return;
        string commandLine;
        try
        {
            commandLine = File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
        }
        catch (IOException)
        {
            return;
        }

        if (!commandLine.Contains("redis-server", StringComparison.Ordinal) || !commandLine.Contains(Paths.ConfigFile, StringComparison.Ordinal))
            return;

        log($"redis: stopping pid {pid}, left running by an earlier guest.");
        if (graceful)
            Shutdown(pid);
        var started = Stopwatch.GetTimestamp();
        var killed = false;
        while (Directory.Exists($"/proc/{pid}"))
        {
            if (!killed && (!graceful || Stopwatch.GetElapsedTime(started) > options.StopTimeout))
            {
                killed = true;
                try
                {
                    using var orphan = Process.GetProcessById(pid);
                    orphan.Kill();
                }
                catch (ArgumentException)
                {
                    // Gone in the meantime.
                }
            }

            await Task.Delay(PollInterval, cancellationToken);
        }
    }

    private void GiveToServiceUser(params string[] paths)
    {
        if (!_asRoot)
            return;
        var (uid, gid) = LibC.LookUpUser(options.ServiceUser);
        foreach (var path in paths)
            LibC.ChangeOwner(path, uid, gid);
    }

    private string ReadLog()
    {
        var text = "";
        foreach (var path in new[] { Paths.ServerLog, Paths.OutputLog })
        {
            try
            {
                text += File.ReadAllText(path);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        return text;
    }

    private static string LastLines(string text, int count) =>
        string.Join(" | ", text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).TakeLast(count));
}

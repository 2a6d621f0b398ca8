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
internal sealed class RedisServer(GuestConfig config, RedisOptions options, Action<string> log, Action<ServerCrash>? onCrash = null) : IAsyncDisposable
{
    private readonly ServerProcess _process = new(
        "redis-server", "redis", "Redis", options.ServiceUser, options.StartTimeout, options.StopTimeout, log, onCrash);
    private string? _adminPassword;

    public RedisPaths Paths { get; } = RedisPaths.For(config.Paths);

    public ServerSupervisor? Supervisor => _process.Supervisor;

    /// <summary>
    /// Starts (and restarts) the server with append-only persistence off, so that it loads <c>dump.rdb</c> rather than
    /// an AOF: set while a restored snapshot has not been written to an AOF yet.
    /// </summary>
    public bool LoadSnapshot { get; set; }

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

        SecretFile.WriteLine(Paths.AdminCredentials, adminPassword);
        SecretFile.WriteLine(Paths.RootPassword, defaultPassword);
        _adminPassword = adminPassword;
        await File.WriteAllTextAsync(Paths.ConfigFile, redisConf, cancellationToken);
        await File.WriteAllTextAsync(Paths.AclFile,
            $"user {RedisAcl.DefaultUser} on {RedisAcl.PasswordHash(defaultPassword)} {string.Join(' ', RedisAcl.AllRules())}\n" +
            $"user {RedisAcl.AdminUser} on {RedisAcl.PasswordHash(adminPassword)} {string.Join(' ', RedisAcl.AllRules())}\n",
            cancellationToken);
        // ACL SAVE writes a temporary file next to the ACL file, so the server needs the directory too.
        _process.GiveToServiceUser(config.Paths.Data, config.Paths.Run, config.Paths.Log, config.Paths.Etc, Paths.ConfigFile, Paths.AclFile);
    }

    /// <summary>Gives a file of the data directory to the service user (when the guest runs as root).</summary>
    public void GiveToServiceUser(string path) => _process.GiveToServiceUser(path);

    /// <summary>Replaces <c>redis.conf</c> atomically, owned by the service user like the file the prepare wrote.</summary>
    public void WriteConfig(string redisConf) =>
        _process.WriteServerFile(Paths.ConfigFile, redisConf,
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead, serverOwned: true);

    /// <summary>Replaces a file only the server (and the guest) may read, such as the <c>masterauth</c> include.</summary>
    public void WriteSecretFile(string path, string contents) =>
        _process.WriteServerFile(path, contents, UnixFileMode.UserRead | UnixFileMode.UserWrite, serverOwned: true);

    /// <summary>Starts the server under a new supervisor.</summary>
    public Task StartAsync(CancellationToken cancellationToken) =>
        _process.StartAsync(ServerStartInfo, Paths.OutputLog, () => StopOrphanAsync(graceful: true, cancellationToken), cancellationToken);

    /// <summary>Polls the unix socket as the guest's administrator until the server answers PING.</summary>
    public Task WaitUntilAnsweringAsync(CancellationToken cancellationToken) =>
        _process.WaitUntilAnsweringAsync<RedisException>(() =>
        {
            using var connection = OpenAdmin(options.ProbeTimeout);
            connection.Execute("PING");
            return Task.CompletedTask;
        }, e => e.IsConnectionFailure || e.ErrorCode == "LOADING", Paths.ServerLog, ReadLog, cancellationToken);

    public RedisConnection OpenAdmin(TimeSpan timeout)
    {
        if (_adminPassword is null && !File.Exists(Paths.AdminCredentials))
            throw new HandlerException(GuestErrorCodes.NotReady, "Redis has not been prepared yet.");
        _adminPassword ??= SecretFile.ReadLine(Paths.AdminCredentials);
        return RedisConnection.OpenUnix(Paths.Socket, RedisAcl.AdminUser, _adminPassword, timeout);
    }

    /// <summary>Shuts the server down with <c>SHUTDOWN</c> (it saves and syncs first), killing it if it has not exited by the stop timeout.</summary>
    public Task StopAsync() => _process.StopAsync(pid => Task.Run(() => Shutdown(pid)));

    public async ValueTask DisposeAsync() => await StopAsync();

    /// <summary>
    /// <c>SHUTDOWN</c> answers by closing the connection; an error reply (a failed final save, say) or no
    /// connection at all falls back to SIGTERM, which Redis also takes as a clean shutdown.
    /// </summary>
    private void Shutdown(int? pid)
    {
        var watch = Stopwatch.StartNew();
        try
        {
            using var connection = OpenAdmin(options.ProbeTimeout);
            while (true)
            {
                try
                {
                    connection.Execute("SHUTDOWN");
                    break;
                }
                catch (RedisException e) when (e.IsConnectionFailure)
                {
                    return;
                }
                catch (RedisException) when (watch.Elapsed < options.StopTimeout / 2)
                {
                    // A replica writing the append-only file of its first sync refuses to exit (and ignores SIGTERM)
                    // until that is done, usually within a second: ask again rather than wait out the stop timeout.
                    Thread.Sleep(100);
                }
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
        if (LoadSnapshot)
        {
            startInfo.ArgumentList.Add("--appendonly");
            startInfo.ArgumentList.Add("no");
        }

        if (_process.AsRoot)
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
        await _process.StopOrphanAsync(pid, Paths.ConfigFile, graceful ? id => Shutdown(id) : null, cancellationToken);
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
}

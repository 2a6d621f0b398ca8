using System.Diagnostics;
using System.Text.RegularExpressions;
using Hoard.Contracts.Bus;
using Hoard.Contracts.Guest;
using Hoard.Guest.Datastores.MariaDb.Native;
using Hoard.Guest.Datastores.Native;

namespace Hoard.Guest.Datastores.MariaDb;

/// <summary>
/// The <c>mariadbd</c> process of one instance: installing its data directory, starting it under a
/// <see cref="ServerSupervisor"/>, waiting for it to answer, and stopping it. Always <c>--defaults-file</c>:
/// the system's <c>/etc/mysql</c> is never read.
/// </summary>
internal sealed partial class MariaDbServer(GuestConfig config, MariaDbOptions options, Action<string> log, Action<ServerCrash>? onCrash = null) : IAsyncDisposable
{
    private readonly ServerProcess _process = new(
        "mariadbd", "mariadb", "MariaDB", options.ServiceUser, options.StartTimeout, options.StopTimeout, log, onCrash);
    private const UnixFileMode ConfigFileMode =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    private MariaDbAdminCredentials? _credentials;

    public MariaDbPaths Paths { get; } = MariaDbPaths.For(config.Paths);

    public ServerSupervisor? Supervisor => _process.Supervisor;

    public MariaDbAdminCredentials Credentials
    {
        get => _credentials ??= MariaDbAdminCredentials.Load(Paths.AdminCredentials);
        set => _credentials = value;
    }

    /// <summary>
    /// Writes the configuration and creates the data directory: empty (from the template cache when there is one), or
    /// filled by <paramref name="restore"/>, which is given the new directory (owned by the service user).
    /// </summary>
    public async Task InstallAsync(string myCnf, Func<string, Task>? restore, CancellationToken cancellationToken)
    {
        foreach (var directory in new[] { config.Paths.Data, config.Paths.Run, config.Paths.Log, config.Paths.Etc, Paths.SecureFiles, Paths.TempFiles })
            Directory.CreateDirectory(directory);
        await StopOrphanAsync(graceful: false, cancellationToken);
        if (Directory.Exists(Paths.DataDirectory))
        {
            // Only an unfinished prepare leaves one behind; it holds nothing anyone created.
            log($"mariadb: removing the data directory of an unfinished prepare: {Paths.DataDirectory}");
            Directory.Delete(Paths.DataDirectory, recursive: true);
        }

        Directory.CreateDirectory(Paths.DataDirectory);
        WriteConfig(myCnf);
        _process.GiveToServiceUser(config.Paths.Run, config.Paths.Log, Paths.SecureFiles, Paths.TempFiles, Paths.DataDirectory);

        if (restore is not null)
        {
            await restore(Paths.DataDirectory);
            return;
        }

        if (config.TemplateCache is { } cache)
        {
            CopyDirectory(await EnsureTemplateAsync(cache, cancellationToken), Paths.DataDirectory);
            return;
        }

        await RunInstallDbAsync(Paths.ConfigFile, cancellationToken);
    }

    /// <summary>
    /// An empty data directory made once per MariaDB build and copied for each new instance: copying takes
    /// a tenth of a second where <c>mariadb-install-db</c> takes one to several. Each copy gets its own
    /// passwords from the init file; the redo log is resized by the server at its first start.
    /// </summary>
    private async Task<string> EnsureTemplateAsync(string cache, CancellationToken cancellationToken)
    {
        var server = new FileInfo(options.ServerPath);
        var build = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(
            $"{server.FullName}|{server.Length}|{server.LastWriteTimeUtc.Ticks}"));
        var template = Path.Combine(cache, "mariadb-" + Convert.ToHexStringLower(build)[..16]);
        if (Directory.Exists(template))
        {
            return template;
        }

        var work = Path.Combine(cache, $"building-{Guid.NewGuid():N}");
        var data = Path.Combine(work, "data");
        var tmp = Path.Combine(work, "tmp");
        Directory.CreateDirectory(data);
        Directory.CreateDirectory(tmp);
        var myCnf = Path.Combine(work, "my.cnf");
        await File.WriteAllTextAsync(myCnf,
            $"[mysqld]\ndatadir={data}\ntmpdir={tmp}\ninnodb_log_file_size=8M\ninnodb_buffer_pool_size=16M\nskip-networking\n",
            cancellationToken);
        _process.GiveToServiceUser(work, data, tmp);
        try
        {
            await RunInstallDbAsync(myCnf, cancellationToken);
            try
            {
                Directory.Move(data, template);
                log($"mariadb: made the data directory template {template}");
            }
            catch (IOException) when (Directory.Exists(template))
            {
                // Another guest made it at the same time; theirs is as good.
            }
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }

        return template;
    }

    private void CopyDirectory(string source, string target)
    {
        Directory.CreateDirectory(target);
        _process.GiveToServiceUser(target);
        foreach (var directory in Directory.EnumerateDirectories(source, "*", SearchOption.AllDirectories))
        {
            var copy = Path.Combine(target, Path.GetRelativePath(source, directory));
            Directory.CreateDirectory(copy);
            _process.GiveToServiceUser(copy);
        }

        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var copy = Path.Combine(target, Path.GetRelativePath(source, file));
            File.Copy(file, copy);
            _process.GiveToServiceUser(copy);
        }
    }

    private async Task RunInstallDbAsync(string configFile, CancellationToken cancellationToken)
    {
        var install = new ProcessStartInfo(options.InstallDbPath)
        {
            ArgumentList =
            {
                $"--defaults-file={configFile}",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
                "--skip-name-resolve",
            },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (_process.AsRoot)
            install.ArgumentList.Add($"--user={options.ServiceUser}");

        using var process = Process.Start(install) ?? throw new InvalidOperationException("mariadb-install-db did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        var output = await stdout + await stderr;
        await File.WriteAllTextAsync(Path.Combine(config.Paths.Log, "install-db.log"), output, cancellationToken);
        if (process.ExitCode != 0)
        {
            // install-db ends with pages of advice; the server's own [ERROR] lines say what went wrong.
            var errors = string.Join(" | ", output.Split('\n').Where(l => l.Contains("ERROR", StringComparison.Ordinal)).Take(5));
            throw new InvalidOperationException(
                $"mariadb-install-db exited with code {process.ExitCode}: {(errors.Length > 0 ? errors : ServerProcess.LastLines(output, 10))}");
        }
    }

    /// <summary>Has a tool that writes the server's files run as the service user when the guest runs as root.</summary>
    public ProcessStartInfo AsServiceUser(ProcessStartInfo startInfo) => _process.AsServiceUser(startInfo);

    /// <summary>Gives what the guest made for such a tool to the service user when the guest runs as root.</summary>
    public void GiveToServiceUser(params string[] paths) => _process.GiveToServiceUser(paths);

    /// <summary>Replaces <c>my.cnf</c> atomically. It stays the guest's: an option file can name the user the server runs as.</summary>
    public void WriteConfig(string myCnf) =>
        _process.WriteServerFile(Paths.ConfigFile, myCnf, ConfigFileMode, serverOwned: false);

    /// <summary>
    /// Has <c>mariadbd --help --verbose</c> read <paramref name="myCnf"/> as a start would (unknown options, values it
    /// cannot parse); throws <see cref="GuestErrorCodes.BadRequest"/> with the server's errors if it does not take it.
    /// </summary>
    public async Task CheckConfigAsync(string myCnf, CancellationToken cancellationToken)
    {
        var candidate = Paths.ConfigFile + ".check";
        AtomicFile.Write(candidate, myCnf, ConfigFileMode);
        try
        {
            // As the guest: the etc directory need not be readable by the service user, and --help starts nothing.
            var errors = await _process.CheckConfigAsync(options.ServerPath, [$"--defaults-file={candidate}", "--help", "--verbose"],
                asServiceUser: false, cancellationToken);
            if (errors is not null)
                throw new HandlerException(GuestErrorCodes.BadRequest, $"MariaDB does not accept the configuration: {CheckErrors(errors)}");
        }
        finally
        {
            File.Delete(candidate);
        }
    }

    /// <summary>The <c>[ERROR]</c> lines of a failed check, without their timestamps and prefixes.</summary>
    internal static string CheckErrors(string output)
    {
        var errors = output.Split('\n')
            .Select(line => line.IndexOf("[ERROR] ", StringComparison.Ordinal) is var at and >= 0 ? line[(at + 8)..].Trim() : null)
            .OfType<string>()
            .Select(line => CheckErrorPrefix().Replace(line, ""))
            .Distinct()
            .ToList();
        return errors.Count > 0 ? string.Join("; ", errors) : ServerProcess.LastLines(output, 3);
    }

    /// <summary>Writes the one-time init file (mode 0600) that the next start runs before it accepts connections.</summary>
    public void WriteInitFile(string sql)
    {
        SecretFile.Write(Paths.InitFile, sql);
        _process.GiveToServiceUser(Paths.InitFile);
    }

    public void DeleteInitFile() => File.Delete(Paths.InitFile);

    /// <summary>Starts the server under a new supervisor (and the init file, while there is one).</summary>
    public Task StartAsync(CancellationToken cancellationToken) =>
        _process.StartAsync(ServerStartInfo, Paths.OutputLog, () => StopOrphanAsync(graceful: true, cancellationToken), cancellationToken);

    /// <summary>Polls the socket as the guest's administrator until the server answers.</summary>
    public Task WaitUntilAnsweringAsync(CancellationToken cancellationToken) =>
        _process.WaitUntilAnsweringAsync<MariaDbException>(() =>
        {
            using var connection = OpenAdmin(options.ProbeTimeout);
            connection.Query("SELECT 1");
            return Task.CompletedTask;
        }, e => e.ErrorNumber != MariaDbException.AccessDenied, Paths.ErrorLog, ReadLog, cancellationToken);

    public MariaDbConnection OpenAdmin(TimeSpan timeout)
    {
        if (_credentials is null && !File.Exists(Paths.AdminCredentials))
            throw new HandlerException(GuestErrorCodes.NotReady, "MariaDB has not been prepared yet.");
        var connection = MariaDbConnection.Open(Paths.Socket, Credentials.User, Credentials.Password, timeout);
        try
        {
            // The guest's statements carry passwords: a configuration group's slow log must not record them.
            connection.Execute("SET SESSION slow_query_log = 0");
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Shuts the server down with SQL <c>SHUTDOWN</c>, killing it if it has not exited by the stop timeout.</summary>
    public Task StopAsync() => _process.StopAsync(pid => Task.Run(() => Shutdown(pid)));

    public async ValueTask DisposeAsync() => await StopAsync();

    /// <summary>
    /// SQL <c>SHUTDOWN</c>; if that cannot be sent, SIGTERM, which mariadbd also takes as a clean shutdown
    /// (and which is harmless if the failure was the server already going away).
    /// </summary>
    private void Shutdown(int? pid)
    {
        try
        {
            using var connection = OpenAdmin(options.ProbeTimeout);
            connection.Execute("SHUTDOWN");
        }
        catch (Exception e) when (e is MariaDbException or HandlerException or IOException or InvalidDataException)
        {
            if (pid is { } id && LibC.SendSignal(id, LibC.SigTerm))
                log($"mariadb: SHUTDOWN failed ({e.Message}); sent SIGTERM to pid {id}.");
        }
    }

    private ProcessStartInfo ServerStartInfo()
    {
        var startInfo = new ProcessStartInfo(options.ServerPath) { ArgumentList = { $"--defaults-file={Paths.ConfigFile}" } };
        if (_process.AsRoot)
            startInfo.ArgumentList.Add($"--user={options.ServiceUser}");
        if (File.Exists(Paths.InitFile))
            startInfo.ArgumentList.Add($"--init-file={Paths.InitFile}");
        return startInfo;
    }

    /// <summary>
    /// A server left running by an earlier guest process holds the data directory's locks; a new one would
    /// wait for them. Stop it (or kill it, when its data is about to be discarded), but only if it is a
    /// mariadbd started with this instance's configuration.
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
        foreach (var path in new[] { Paths.ErrorLog, Paths.OutputLog })
        {
            try
            {
                text += File.ReadAllText(path);
            }
            catch (IOException)
            {
            }
        }

        return text;
    }

    /// <summary>"Buffered error: " and the program's path, e.g. "/usr/sbin/mariadbd: ".</summary>
    [GeneratedRegex(@"^(Buffered error: )?(\S*mariadbd: )?")]
    private static partial Regex CheckErrorPrefix();
}

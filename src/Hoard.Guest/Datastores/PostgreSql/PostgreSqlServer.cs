using System.Diagnostics;
using System.Text.RegularExpressions;
using Hoard.Contracts.Bus;
using Hoard.Contracts.Guest;
using Hoard.Guest.Datastores.Native;
using Npgsql;

namespace Hoard.Guest.Datastores.PostgreSql;

/// <summary>
/// The <c>postgres</c> postmaster of one instance: making its data directory (from the template cache when there
/// is one), starting it under a <see cref="ServerSupervisor"/>, waiting for it to answer, and stopping it with a
/// fast shutdown (SIGINT). Runs as the service user when the guest runs as root: initdb and postgres refuse root.
/// </summary>
internal sealed partial class PostgreSqlServer(GuestConfig config, PostgreSqlOptions options, Action<string> log) : IAsyncDisposable
{
    private const int SigInt = 2;
    private readonly ServerProcess _process = new(
        "postgres", "postgresql", "PostgreSQL", options.ServiceUser, options.StartTimeout, options.StopTimeout, log);
    private PostgreSqlAdminCredentials? _credentials;

    public PostgreSqlPaths Paths { get; } = PostgreSqlPaths.For(config.Paths);

    public ServerSupervisor? Supervisor => _process.Supervisor;

    public PostgreSqlAdminCredentials Credentials
    {
        get => _credentials ??= PostgreSqlAdminCredentials.Load(Paths.AdminCredentials);
        set => _credentials = value;
    }

    /// <summary>Creates an empty data directory and writes the configuration into it.</summary>
    public async Task InstallAsync(string postgresqlConf, CancellationToken cancellationToken)
    {
        foreach (var directory in new[] { config.Paths.Data, config.Paths.Run, config.Paths.Log, config.Paths.Etc })
            Directory.CreateDirectory(directory);
        await StopOrphanAsync(cancellationToken);
        if (Directory.Exists(Paths.DataDirectory))
        {
            // Only an unfinished prepare leaves one behind; it holds nothing anyone created.
            log($"postgresql: removing the data directory of an unfinished prepare: {Paths.DataDirectory}");
            Directory.Delete(Paths.DataDirectory, recursive: true);
        }

        _process.GiveToServiceUser(config.Paths.Run, config.Paths.Log);
        if (config.TemplateCache is { } cache)
            CopyDirectory(await EnsureTemplateAsync(cache, cancellationToken), Paths.DataDirectory);
        else
            await RunInitDbAsync(Paths.DataDirectory, Paths.InitDbLog, cancellationToken);

        // postgres refuses a data directory others can read.
        File.SetUnixFileMode(Paths.DataDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        WriteServerFile(Paths.ConfigFile, postgresqlConf);
        WriteServerFile(Paths.HbaFile, PostgreSqlConfigTemplate.RenderHba());
        WriteServerFile(Paths.IdentFile, PostgreSqlConfigTemplate.RenderIdent([Environment.UserName, options.ServiceUser]));
    }

    /// <summary>
    /// An empty data directory made once per PostgreSQL build and copied for each new instance: copying takes a
    /// fraction of initdb's 0.85 s. Each copy gets its own configuration and passwords; the template never runs.
    /// </summary>
    private async Task<string> EnsureTemplateAsync(string cache, CancellationToken cancellationToken)
    {
        var server = new FileInfo(options.ServerPath);
        var build = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(
            $"{server.FullName}|{server.Length}|{server.LastWriteTimeUtc.Ticks}"));
        var template = Path.Combine(cache, "postgresql-" + Convert.ToHexStringLower(build)[..16]);
        if (Directory.Exists(template))
            return template;

        Directory.CreateDirectory(cache);
        var work = Path.Combine(cache, $"building-{Guid.NewGuid():N}");
        Directory.CreateDirectory(work);
        _process.GiveToServiceUser(work);
        try
        {
            var data = Path.Combine(work, "data");
            await RunInitDbAsync(data, Path.Combine(work, "initdb.log"), cancellationToken);
            try
            {
                Directory.Move(data, template);
                log($"postgresql: made the data directory template {template}");
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

    private async Task RunInitDbAsync(string dataDirectory, string logPath, CancellationToken cancellationToken)
    {
        // Trust is only initdb's default for the bootstrap; pg_hba.conf is replaced before the first start.
        var initDb = new ProcessStartInfo(options.InitDbPath)
        {
            ArgumentList =
            {
                "-D", dataDirectory, "-U", "postgres", "--auth=trust", "-E", PostgreSqlNames.DefaultEncoding,
                $"--locale={PostgreSqlNames.DefaultCollation}", "--no-instructions",
            },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = "/",
        };
        if (_process.AsRoot)
            initDb.UserName = options.ServiceUser;

        using var process = Process.Start(initDb) ?? throw new InvalidOperationException("initdb did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        var output = await stdout + await stderr;
        await File.WriteAllTextAsync(logPath, output, cancellationToken);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"initdb exited with code {process.ExitCode}: {ServerProcess.LastLines(output, 6)}");
    }

    public void WriteConfig(string postgresqlConf) => WriteServerFile(Paths.ConfigFile, postgresqlConf);

    /// <summary>
    /// Has <c>postgres -C</c> read <paramref name="postgresqlConf"/> as a start would (unknown parameters, values it
    /// cannot parse, restart-only ones included); throws <see cref="GuestErrorCodes.BadRequest"/> with the server's
    /// errors if it does not take it. Safe while the server runs: -C only reads the configuration and exits.
    /// </summary>
    public async Task CheckConfigAsync(string postgresqlConf, CancellationToken cancellationToken)
    {
        var candidate = Paths.ConfigFile + ".check";
        WriteServerFile(candidate, postgresqlConf);
        try
        {
            var errors = await _process.CheckConfigAsync(options.ServerPath, ["-D", Paths.DataDirectory, "-c", $"config_file={candidate}", "-C", "port"],
                asServiceUser: true, cancellationToken);
            if (errors is not null)
                throw new HandlerException(GuestErrorCodes.BadRequest, $"PostgreSQL does not accept the configuration: {CheckErrors(errors)}");
        }
        finally
        {
            File.Delete(candidate);
        }
    }

    /// <summary>What a failed check logged, without timestamps, file paths and the closing "contains errors".</summary>
    internal static string CheckErrors(string output)
    {
        var errors = output.Split('\n')
            .Select(line => CheckErrorLine().Match(line))
            .Where(match => match.Success && !match.Groups[2].Value.Contains("contains errors", StringComparison.Ordinal))
            .Select(match => FileAndLine().Replace(match.Groups[2].Value.Trim(), ""))
            .Distinct()
            .ToList();
        return errors.Count > 0 ? string.Join("; ", errors) : ServerProcess.LastLines(output, 3);
    }

    /// <summary>Starts the postmaster under a new supervisor.</summary>
    public Task StartAsync(CancellationToken cancellationToken) =>
        _process.StartAsync(ServerStartInfo, Paths.ServerLog, () => StopOrphanAsync(cancellationToken), cancellationToken);

    /// <summary>
    /// Polls the socket until the server answers, as <c>postgres</c> by peer identity while the guest's own
    /// superuser does not exist yet, as <c>os_admin</c> afterwards.
    /// </summary>
    public Task WaitUntilAnsweringAsync(bool asPostgres, CancellationToken cancellationToken) =>
        _process.WaitUntilAnsweringAsync<NpgsqlException>(async () =>
        {
            await using var connection = asPostgres
                ? await OpenAsPostgresAsync(cancellationToken)
                : await OpenAdminAsync("postgres", options.ProbeTimeout, cancellationToken);
            await using var command = new NpgsqlCommand("SELECT 1", connection);
            await command.ExecuteScalarAsync(cancellationToken);
        }, e => !IsAuthenticationFailure(e), Paths.ServerLog, ReadLog, cancellationToken);

    /// <summary>A connection as the guest's superuser to <paramref name="database"/>, over the socket, unpooled.</summary>
    public async Task<NpgsqlConnection> OpenAdminAsync(string database, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (_credentials is null && !File.Exists(Paths.AdminCredentials))
            throw new HandlerException(GuestErrorCodes.NotReady, "PostgreSQL has not been prepared yet.");
        return await OpenAsync(Credentials.User, Credentials.Password, database, timeout, cancellationToken);
    }

    private Task<NpgsqlConnection> OpenAsPostgresAsync(CancellationToken cancellationToken) =>
        OpenAsync("postgres", null, "postgres", options.ProbeTimeout, cancellationToken);

    private async Task<NpgsqlConnection> OpenAsync(string user, string? password, string database, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = Paths.SocketDirectory,
            Port = config.Port,
            Username = user,
            Password = password,
            Database = database,
            Pooling = false,
            Timeout = Math.Max(1, (int)Math.Ceiling(timeout.TotalSeconds)),
            CommandTimeout = Math.Max(1, (int)Math.Ceiling(timeout.TotalSeconds)),
            // The guest's statements carry passwords: neither a failing one nor (with a configuration group's
            // log_min_duration_statement) a slow one may be copied into the server log.
            Options = "-c log_min_error_statement=panic -c log_min_duration_statement=-1",
            ApplicationName = "hoard-guest",
        };
        var connection = new NpgsqlConnection(builder.ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>Runs SQL as <c>postgres</c> (peer identity); only for creating the guest's superuser at prepare.</summary>
    public async Task BootstrapAsync(string sql, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsPostgresAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Fast shutdown (SIGINT: roll back open transactions, checkpoint, exit), killing it after the stop timeout.</summary>
    public Task StopAsync() =>
        _process.StopAsync(pid =>
        {
            if (pid is { } id)
                LibC.SendSignal(id, SigInt);
            return Task.CompletedTask;
        });

    public async ValueTask DisposeAsync() => await StopAsync();

    private ProcessStartInfo ServerStartInfo()
    {
        var startInfo = new ProcessStartInfo(options.ServerPath) { ArgumentList = { "-D", Paths.DataDirectory }, WorkingDirectory = "/" };
        if (_process.AsRoot)
            startInfo.UserName = options.ServiceUser;
        return startInfo;
    }

    /// <summary>
    /// A postmaster left running by an earlier guest process holds the data directory; a new one would refuse
    /// to start. Stop it with a fast shutdown (killing it after the stop timeout), but only if it is a postgres
    /// serving this instance's data directory.
    /// </summary>
    private async Task StopOrphanAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(Paths.PidFile))
            return;
        var firstLine = File.ReadLines(Paths.PidFile).FirstOrDefault();
        if (!int.TryParse(firstLine?.Trim(), out var pid))
            return;
        await _process.StopOrphanAsync(pid, Paths.DataDirectory, id => LibC.SendSignal(id, SigInt), cancellationToken);
    }

    private void CopyDirectory(string source, string target)
    {
        Directory.CreateDirectory(target);
        _process.GiveToServiceUser(target);
        foreach (var directory in Directory.EnumerateDirectories(source, "*", SearchOption.AllDirectories))
        {
            var copy = Path.Combine(target, Path.GetRelativePath(source, directory));
            Directory.CreateDirectory(copy);
            File.SetUnixFileMode(copy, File.GetUnixFileMode(directory));
            _process.GiveToServiceUser(copy);
        }

        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var copy = Path.Combine(target, Path.GetRelativePath(source, file));
            File.Copy(file, copy);
            _process.GiveToServiceUser(copy);
        }
    }

    /// <summary>Replaces a file the server reads atomically (mode 0600, owned by the service user).</summary>
    private void WriteServerFile(string path, string contents) =>
        _process.WriteServerFile(path, contents, UnixFileMode.UserRead | UnixFileMode.UserWrite, serverOwned: true);

    private static bool IsAuthenticationFailure(NpgsqlException e) =>
        e is PostgresException { SqlState: PostgresErrorCodes.InvalidPassword or PostgresErrorCodes.InvalidAuthorizationSpecification };

    private string ReadLog()
    {
        try
        {
            return File.ReadAllText(Paths.ServerLog);
        }
        catch (IOException)
        {
            return "";
        }
    }

    [GeneratedRegex(@"\b(LOG|FATAL|DETAIL|HINT):\s+(.*)$")]
    private static partial Regex CheckErrorLine();

    [GeneratedRegex(@" in file "".*?"" line [0-9]+")]
    private static partial Regex FileAndLine();
}

using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Hoard.Contracts.Bus;
using Hoard.Contracts.Guest;
using Hoard.Guest.Backups;
using Npgsql;
using ZstdSharp;

namespace Hoard.Guest.Datastores.PostgreSql;

/// <summary>
/// The replay half of a point-in-time restore. Before the restored data directory first starts: the archived WAL files
/// are downloaded into a directory beside it (each checked by hoard-server before it is sent, and by its zstd checksum
/// here), and an archive recovery is set up whose <c>restore_command</c> copies from there (no credential reaches
/// PostgreSQL or a command line) and which stops at the target time and promotes. Then the guest waits for the promotion.
/// </summary>
internal sealed partial class PostgreSqlPointInTimeRecovery(PostgreSqlOptions options, PostgreSqlServer server, Action<string> log)
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    public string Directory => server.Paths.WalRestoreDirectory;

    /// <summary>Fetches the WAL and writes the recovery settings; the next start of the server replays it.</summary>
    public async Task ArrangeAsync(PointInTimeRecovery recovery, CancellationToken cancellationToken)
    {
        PostgreSqlConfigTemplate.RequirePlainPath(Directory);
        if (System.IO.Directory.Exists(Directory))
            System.IO.Directory.Delete(Directory, recursive: true);
        System.IO.Directory.CreateDirectory(Directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        server.GiveToServiceUser(Directory);

        var watch = Stopwatch.StartNew();
        using (var client = CreateClient())
        {
            foreach (var file in recovery.Files)
                await DownloadAsync(client, file, cancellationToken);
        }

        var downloaded = watch.Elapsed;
        // Replaying to the end of what was archived is the state at the target when no transaction ended after it there;
        // asked to stop at a time it never passes, PostgreSQL would refuse to finish the recovery instead.
        var segments = recovery.Files.Select(f => f.Name).Where(n => n.Length == 24).TakeLast(2).ToList();
        var stopAtTarget = false;
        foreach (var segment in segments)
            stopAtTarget |= await EndsTransactionAfterAsync(Path.Combine(Directory, segment), recovery.TargetTime, cancellationToken);

        var target = recovery.TargetTime.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture) + "+00";
        var settings = new List<KeyValuePair<string, string>>
        {
            new("restore_command", $"'test -f \"{Directory}/%f\" && cp \"{Directory}/%f\" \"%p\"'"),
            new("recovery_target_timeline", "'latest'"),
        };
        if (stopAtTarget)
        {
            settings.Add(new("recovery_target_time", $"'{target}'"));
            settings.Add(new("recovery_target_inclusive", "on"));
            settings.Add(new("recovery_target_action", "'promote'"));
        }

        server.WriteRecoveryConfig(settings);
        log($"postgresql: {recovery.Files.Count} archived WAL files fetched in {downloaded.TotalSeconds:0.000} s; replaying " +
            (stopAtTarget ? $"until {target}." : $"all of them (no transaction ended between {target} and their end)."));
    }

    /// <summary>Waits until the started server has replayed the WAL and been promoted, then removes the fetched files.</summary>
    public async Task AwaitPromotionAsync(CancellationToken cancellationToken)
    {
        var supervisor = server.Supervisor ?? throw new InvalidOperationException("The server has not been started.");
        var restarts = supervisor.RestartCount;
        var watch = Stopwatch.StartNew();
        while (true)
        {
            if (!supervisor.IsRunning || supervisor.RestartCount != restarts)
                throw Failed("the server stopped during the recovery");
            if (watch.Elapsed > options.RecoveryTimeout)
                throw Failed($"it did not finish within {options.RecoveryTimeout.TotalMinutes:0} minutes");
            try
            {
                if (await server.ScalarAsPostgresAsync("SELECT pg_is_in_recovery()", cancellationToken) is false)
                    break;
            }
            catch (NpgsqlException)
            {
                // Not accepting connections yet, or stopping: the checks above tell which.
            }

            await Task.Delay(PollInterval, cancellationToken);
        }

        server.WriteRecoveryConfig(null);
        System.IO.Directory.Delete(Directory, recursive: true);
        log($"postgresql: replay of the archived WAL finished and the server was promoted in {watch.Elapsed.TotalSeconds:0.000} s.");
    }

    /// <summary>True when <paramref name="path"/> holds a commit or abort later than <paramref name="target"/>, or cannot be read.</summary>
    internal async Task<bool> EndsTransactionAfterAsync(string path, DateTimeOffset target, CancellationToken cancellationToken)
    {
        var dump = new ProcessStartInfo(options.WalDumpPath) { ArgumentList = { path }, RedirectStandardOutput = true };
        dump.Environment["TZ"] = "UTC";
        await using var tool = ToolProcess.Start("pg_waldump", dump, []);
        var records = 0;
        var after = false;
        using var output = new StreamReader(tool.StandardOutput);
        while (await output.ReadLineAsync(cancellationToken) is { } line)
        {
            records++;
            if (TransactionEnd().Match(line) is { Success: true } end &&
                DateTimeOffset.ParseExact(end.Groups[1].Value, "yyyy-MM-dd HH:mm:ss.FFFFFF", CultureInfo.InvariantCulture,
                    DateTimeStyles.AssumeUniversal) > target)
                after = true;
        }

        // pg_waldump ends with an error at the end of the WAL it was given; only output tells whether it read any.
        return after || records == 0;
    }

    private async Task DownloadAsync(HttpClient client, WalFileDownload file, CancellationToken cancellationToken)
    {
        if (!WalFileNames().IsMatch(file.Name))
            throw new HandlerException(GuestErrorCodes.BadRequest, $"'{file.Name}' is not the name of a WAL file.");
        var path = Path.Combine(Directory, file.Name);
        using var request = new HttpRequestMessage(HttpMethod.Get, file.Download.Url);
        request.Headers.TryAddWithoutValidation(BackupStrategies.TokenHeader, file.Download.Token);
        try
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                var fault = BackupTransfers.FaultMessage(await response.Content.ReadAsStringAsync(cancellationToken));
                throw new HandlerException(GuestErrorCodes.Internal, ToolProcess.Scrub(
                    $"hoard-server refused WAL file {file.Name}: HTTP {(int)response.StatusCode}{(fault is null ? "" : ": " + fault)}", [file.Download.Token]));
            }

            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            await using var zstd = new DecompressionStream(body, BackupTransfers.BufferSize, checkEndOfStream: true, leaveOpen: true);
            await using (var output = new FileStream(path, new FileStreamOptions
                         {
                             Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                         }))
                await zstd.CopyToAsync(output, BackupTransfers.BufferSize, cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or ZstdException)
        {
            throw new HandlerException(GuestErrorCodes.Internal, ToolProcess.Scrub(
                $"The download of WAL file {file.Name} is damaged or incomplete, so it cannot be replayed: {e.Message}", [file.Download.Token]));
        }

        server.GiveToServiceUser(path);
    }

    private HandlerException Failed(string why)
    {
        string logText;
        try
        {
            logText = File.ReadAllText(server.Paths.ServerLog);
        }
        catch (IOException)
        {
            logText = "";
        }

        var errors = logText.Split('\n').Where(l => l.Contains("FATAL:", StringComparison.Ordinal) || l.Contains("PANIC:", StringComparison.Ordinal)).TakeLast(3).ToList();
        return new HandlerException(GuestErrorCodes.Internal,
            $"The replay of the archived WAL failed: {why}. {(errors.Count > 0 ? string.Join(" | ", errors) : ServerProcess.LastLines(logText, 6))}");
    }

    private static HttpClient CreateClient() => new(new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        UseProxy = false,
        ConnectTimeout = TimeSpan.FromSeconds(30),
        AutomaticDecompression = System.Net.DecompressionMethods.None,
    })
    {
        Timeout = TimeSpan.FromMinutes(10),
    };

    [GeneratedRegex(@"desc: (?:COMMIT|ABORT)(?:_PREPARED \d+:)? (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d{1,6})?) UTC")]
    private static partial Regex TransactionEnd();

    [GeneratedRegex(@"^[0-9A-F]{8}(\.history|[0-9A-F]{16}(\.partial|\.[0-9A-F]{8}\.backup)?)$")]
    private static partial Regex WalFileNames();
}

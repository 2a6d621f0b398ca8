using System.Diagnostics;
using System.Globalization;

namespace Hoard.Bench.Provisioning;

/// <summary>Creates instances through the API one after another and measures each until its user can query.</summary>
internal sealed class HoardProvisioning(TroveClient client, string dataDir)
{
    private static readonly TimeSpan StatusPoll = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan QueryPoll = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan ActiveDeadline = TimeSpan.FromSeconds(300);
    private static readonly TimeSpan QueryDeadline = TimeSpan.FromSeconds(60);

    /// <summary>Instances created and not yet deleted.</summary>
    public List<string> Created { get; } = [];

    /// <summary>Every instance this run created, deleted or not.</summary>
    public HashSet<string> Ever { get; } = [];

    public async Task<HoardRun> RunOnceAsync(DatastoreSpec datastore, int index, CancellationToken cancellationToken)
    {
        var password = Passwords.New();
        var posted = DateTimeOffset.UtcNow;
        var started = Stopwatch.GetTimestamp();
        var id = await client.CreateInstanceAsync($"bench-{datastore.Type}-{index}", datastore, "bench", "bench", password, cancellationToken);
        Created.Add(id);
        Ever.Add(id);

        string? address;
        while (true)
        {
            var instance = await client.GetInstanceAsync(id, cancellationToken)
                           ?? throw new InvalidOperationException($"Instance {id} disappeared while building.");
            var status = (string?)instance["status"];
            if (status == "ACTIVE")
            {
                address = (string?)instance["ip"]?[0];
                break;
            }

            if (status == "ERROR")
            {
                throw new InvalidOperationException(
                    $"Instance {id} went to ERROR: {instance["fault"]?.ToJsonString() ?? "(no fault)"}\nguest log: {GuestLog(id)}");
            }

            if (Stopwatch.GetElapsedTime(started) > ActiveDeadline)
                throw new TimeoutException($"Instance {id} was still {status} after {ActiveDeadline.TotalSeconds:0} s.");
            await Task.Delay(StatusPoll, cancellationToken);
        }

        var toActive = Stopwatch.GetElapsedTime(started);
        if (string.IsNullOrEmpty(address))
            throw new InvalidOperationException($"Instance {id} is ACTIVE without an ip.");

        for (var attempt = 1; ; attempt++)
        {
            var error = await TryFirstQueryAsync(datastore, address, password, cancellationToken);
            if (error is null)
                return new HoardRun(id, posted, address, toActive, Stopwatch.GetElapsedTime(started), attempt);
            if (Stopwatch.GetElapsedTime(started) - toActive > QueryDeadline)
                throw new TimeoutException($"Instance {id} is ACTIVE but user bench could not query at {address}:{datastore.Port} within {QueryDeadline.TotalSeconds:0} s: {error}");
            await Task.Delay(QueryPoll, cancellationToken);
        }
    }

    /// <summary>
    /// The first query as the new user over TCP, as a customer would make it: <c>select 1</c> with the mariadb client
    /// (the password in MYSQL_PWD, never on the command line), <c>SELECT 1</c> with Npgsql, AUTH + SET + GET in RESP.
    /// Null when it answered, else why not.
    /// </summary>
    private static async Task<string?> TryFirstQueryAsync(DatastoreSpec datastore, string address, string password, CancellationToken cancellationToken)
    {
        switch (datastore.Type)
        {
            case "mariadb":
                var environment = new Dictionary<string, string> { ["MYSQL_PWD"] = password };
                var probe = await Cli.RunAsync("mariadb",
                    ["--no-defaults", "-h", address, "-P", datastore.Port.ToString(CultureInfo.InvariantCulture), "-u", "bench", "bench", "-e", "select 1"],
                    cancellationToken, environment);
                return probe.ExitCode == 0 ? null : probe.Output.Trim();
            case "postgresql":
                return await PostgreSqlProbe.TrySelectOneAsync(address, datastore.Port, "bench", password, "bench", cancellationToken);
            case "redis":
                return await RespProbe.TryAuthSetGetAsync(address, datastore.Port, "bench", password, cancellationToken);
            default:
                throw new ArgumentOutOfRangeException(nameof(datastore), datastore.Type, "No first-query probe for this datastore.");
        }
    }

    /// <summary>
    /// The guest agent (pid file, else a /proc scan) and the database server of each instance; for PostgreSQL the
    /// postmaster and its children together.
    /// </summary>
    public IReadOnlyList<InstanceMemory> MeasureMemory(DatastoreSpec datastore, IEnumerable<string> ids) =>
    [
        .. ids.Select(id =>
        {
            var guest = GuestPid(id);
            var server = ProcFs.Find(datastore.ServerProcess, id).Cast<int?>().FirstOrDefault();
            var memory = server is not { } s ? null : datastore == DatastoreSpec.PostgreSql ? ProcFs.MemoryWithChildren(s) : ProcFs.Memory(s);
            return new InstanceMemory(id, guest, guest is { } g ? ProcFs.Memory(g) : null, server, memory);
        }),
    ];

    /// <summary>
    /// Where the time went, from guest.log's timestamps: POST → guest process logging → prepare done → ACTIVE seen,
    /// and the guest's own split of the prepare ("prepared in … (install-db …, start …, secure …)").
    /// </summary>
    public string Timeline(DatastoreSpec datastore, HoardRun run)
    {
        var lines = ReadGuestLog(run.InstanceId)?.Split('\n') ?? [];
        var guestUp = Stamp(lines.FirstOrDefault(l => l.Contains("starting", StringComparison.Ordinal)));
        var prepared = Stamp(lines.FirstOrDefault(l => l.Contains("prepared in", StringComparison.OrdinalIgnoreCase)));
        var split = lines.FirstOrDefault(l => l.Contains($"{datastore.Type}: prepared in", StringComparison.Ordinal)) is { } line
            ? line[(line.IndexOf("prepared in", StringComparison.Ordinal) + 12)..].Trim()
            : "(no prepare timings in guest.log)";
        var active = run.Posted + run.ToActive;
        return $"POST→guest logging {Ms(guestUp - run.Posted)}, →prepared {Ms(prepared - guestUp)}, →ACTIVE seen {Ms(active - prepared)}; prepare: {split}";
    }

    private static DateTimeOffset? Stamp(string? line) =>
        line is not null && DateTimeOffset.TryParse(line.Split(' ')[0], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : null;

    private static string Ms(TimeSpan? t) => t is { } v ? $"{v.TotalMilliseconds:0} ms" : "?";

    /// <summary>DELETE every instance not yet deleted and wait until each one answers 404.</summary>
    public Task DeleteAllAsync(CancellationToken cancellationToken) => DeleteAsync([.. Created], cancellationToken);

    /// <summary>DELETE these instances and wait until each one answers 404.</summary>
    public async Task DeleteAsync(IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        foreach (var id in ids)
            await client.DeleteInstanceAsync(id, cancellationToken);
        var started = Stopwatch.GetTimestamp();
        foreach (var id in ids)
        {
            while (await client.GetInstanceAsync(id, cancellationToken) is { } instance)
            {
                if (Stopwatch.GetElapsedTime(started) > TimeSpan.FromSeconds(120))
                    throw new TimeoutException($"Instance {id} is still {(string?)instance["status"]} 120 s after DELETE.");
                await Task.Delay(StatusPoll, cancellationToken);
            }

            Created.Remove(id);
        }
    }

    private int? GuestPid(string id)
    {
        var file = Path.Combine(dataDir, "instances", id, "guest.pid");
        if (File.Exists(file) && int.TryParse(File.ReadAllText(file).Trim(), out var pid) &&
            ProcFs.CommandLine(pid) is { } cmd && cmd.Contains("hoard-guest.dll", StringComparison.Ordinal))
        {
            return pid;
        }

        return ProcFs.Find("hoard-guest.dll", id).Cast<int?>().FirstOrDefault();
    }

    private string GuestLog(string id) => ReadGuestLog(id) is { } text
        ? string.Join('\n', text.Split('\n').TakeLast(15))
        : "(none)";

    private string? ReadGuestLog(string id)
    {
        var path = Path.Combine(dataDir, "instances", id, "log", "guest.log");
        try
        {
            using var reader = new StreamReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
            return reader.ReadToEnd();
        }
        catch (IOException)
        {
            return null;
        }
    }
}

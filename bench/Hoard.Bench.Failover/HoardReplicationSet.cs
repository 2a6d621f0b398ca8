using System.Diagnostics;
using System.Text.Json.Nodes;
using Hoard.Bench.Provisioning;

namespace Hoard.Bench.Failover;

/// <summary>Hoard's side: a source and its replica through the API, their write endpoint, the kill of the current source, and the events.</summary>
internal sealed class HoardReplicationSet(TroveClient client, string dataDir, bool synchronous = false)
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan BuildDeadline = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan FailedDeadline = TimeSpan.FromSeconds(30);

    /// <summary>Instances created and not yet deleted, for the cleanup.</summary>
    public List<string> Instances { get; } = [];

    /// <summary>A source with a database and user <c>bench</c>, and one replica of it, both serving and caught up; the set's write endpoint as the user.</summary>
    public async Task<(string Source, string Replica, WriteTarget Endpoint)> CreateAsync(FailoverDatastore datastore, CancellationToken cancellationToken)
    {
        var password = Passwords.New();
        var source = await client.CreateInstanceAsync($"bench-{datastore.Type}", datastore, password, cancellationToken);
        Instances.Add(source);
        await WaitServingAsync(source, null, cancellationToken);
        var replica = await client.CreateReplicaAsync($"bench-{datastore.Type}-replica", source, cancellationToken);
        Instances.Add(replica);
        await WaitServingAsync(replica, source, cancellationToken);
        if (synchronous)
        {
            await client.SetSynchronousAsync(source, true, cancellationToken);
            var asked = Stopwatch.StartNew();
            while ((await client.GetInstanceAsync(source, cancellationToken))?["replication"]?["synchronous"]?.GetValue<bool>() != true)
            {
                if (asked.Elapsed > TimeSpan.FromMinutes(2))
                    throw new InvalidOperationException($"The set of {source} did not become synchronous within 2 minutes:\n{GuestLogTail(source)}");
                await Task.Delay(Poll, cancellationToken);
            }
            // Both HEALTHY again: the change's task (shown ACTIVE, with no operating status) has ended.
            await WaitServingAsync(source, null, cancellationToken);
            await WaitServingAsync(replica, source, cancellationToken);
        }

        var shown = await client.GetInstanceAsync(source, cancellationToken) ?? throw new InvalidOperationException($"Instance {source} disappeared.");
        var endpoint = shown["replication"]?["endpoint"] ?? throw new InvalidOperationException($"Source {source} shows no write endpoint: {shown["replication"]?.ToJsonString()}");
        if ((string?)endpoint["address"] is not { Length: > 0 } address || endpoint["port"] is null)
            throw new InvalidOperationException($"The write endpoint of {source} has no address: {endpoint.ToJsonString()}");
        return (source, replica, new WriteTarget(address, endpoint["port"]!.GetValue<int>(), WriteTarget.AppUser, password,
            datastore.HasDatabases ? WriteTarget.AppUser : ""));
    }

    /// <summary>The member the write endpoint leads to now, as <paramref name="member"/>'s <c>replication.endpoint.source</c> says.</summary>
    public async Task<string> EndpointSourceAsync(string member, CancellationToken cancellationToken)
    {
        var shown = await client.GetInstanceAsync(member, cancellationToken) ?? throw new InvalidOperationException($"Instance {member} disappeared.");
        return (string?)shown["replication"]?["endpoint"]?["source"]
               ?? throw new InvalidOperationException($"Instance {member} shows no endpoint source: {shown["replication"]?.ToJsonString()}");
    }

    /// <summary>
    /// Until <paramref name="id"/> is ACTIVE and HEALTHY and, when <paramref name="sourceId"/> is given, its replica,
    /// streaming and 0 behind its source; returns how long that took.
    /// </summary>
    public async Task<TimeSpan> WaitServingAsync(string id, string? sourceId, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        long? failedSince = null;
        while (true)
        {
            var instance = await client.GetInstanceAsync(id, cancellationToken) ?? throw new InvalidOperationException($"Instance {id} disappeared.");
            var status = (string?)instance["status"];
            if (status == "ERROR")
                throw new InvalidOperationException($"Instance {id} went to ERROR: {instance["fault"]?.ToJsonString() ?? "(no fault)"}\n{GuestLogTail(id)}");
            // A failed prepare leaves the instance ACTIVE with operating_status FAILED; a passing FAILED (a restart) is not the end.
            failedSince = (string?)instance["operating_status"] == "FAILED" ? failedSince ?? Stopwatch.GetTimestamp() : null;
            if (failedSince is { } since && Stopwatch.GetElapsedTime(since) > FailedDeadline)
            {
                throw new InvalidOperationException($"Instance {id} was {status}/FAILED for {FailedDeadline.TotalSeconds:0} s: fault {instance["fault"]?.ToJsonString() ?? "(none)"}, " +
                                                    $"replica_of {instance["replica_of"]?["id"]}, replication {instance["replication"]?.ToJsonString()}");
            }

            var replication = instance["replication"];
            if (status == "ACTIVE" && (string?)instance["operating_status"] == "HEALTHY" &&
                (sourceId is null || ((string?)instance["replica_of"]?["id"] == sourceId && replication?["streaming"]?.GetValue<bool>() == true &&
                                      replication["behind_source"]?.GetValue<long>() == 0)))
            {
                return Stopwatch.GetElapsedTime(started);
            }

            if (Stopwatch.GetElapsedTime(started) > BuildDeadline)
            {
                throw new TimeoutException($"Instance {id} was not serving{(sourceId is null ? "" : $" as a caught-up replica of {sourceId}")} after " +
                                           $"{BuildDeadline.TotalMinutes:0} minutes: status {status}, operating_status {instance["operating_status"]}, " +
                                           $"replica_of {instance["replica_of"]?["id"]}, replication {replication?.ToJsonString()}, fault {instance["fault"]?.ToJsonString()}");
            }

            await Task.Delay(Poll, cancellationToken);
        }
    }

    /// <summary>
    /// kill -9, at once, of every process of <paramref name="id"/>: those whose command line holds its id (its guest and
    /// its database server) and their descendants (PostgreSQL's backends carry no id in their titles); never a process
    /// that names another member. Returns what was killed and when the first signal went (Stopwatch timestamp).
    /// </summary>
    public static async Task<(long Killed, long Gone, IReadOnlyList<string> Processes)> KillAsync(string id, IReadOnlyCollection<string> otherMembers)
    {
        var matching = ProcFs.Find(id).Where(pid => ProcFs.CommandLine(pid) is { } cmd && !otherMembers.Any(m => cmd.Contains(m, StringComparison.Ordinal)));
        var pids = ServerProcesses.WithDescendants(matching);
        if (pids.Count == 0)
            throw new InvalidOperationException($"No process of instance {id} is running: nothing to kill.");
        var names = pids.Select(pid => $"{pid} {Name(ProcFs.CommandLine(pid))}").ToList();
        var killed = Stopwatch.GetTimestamp();
        ServerProcesses.KillAll(pids);
        await ServerProcesses.WaitGoneAsync(pids);
        return (killed, Stopwatch.GetTimestamp(), names);
    }

    /// <summary>The newest failover of <paramref name="oldSource"/> once it has finished (succeeded or failed).</summary>
    public async Task<JsonObject> WaitFailoverFinishedAsync(string member, string oldSource, long afterEventId, TimeSpan deadline, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        JsonObject? last = null;
        while (true)
        {
            var events = await client.ListReplicationEventsAsync(member, cancellationToken);
            last = events.OfType<JsonObject>().FirstOrDefault(e => (string?)e["old_source"] == oldSource && e["id"]!.GetValue<long>() > afterEventId);
            if (last?["finished"] is not null)
                return last;
            if (Stopwatch.GetElapsedTime(started) > deadline)
                throw new TimeoutException($"No finished failover of {oldSource} within {deadline.TotalSeconds:0} s; the latest event: {last?.ToJsonString() ?? "(none)"}");
            await Task.Delay(Poll, cancellationToken);
        }
    }

    /// <summary>The id of the set's newest event, 0 when there is none.</summary>
    public async Task<long> LatestEventIdAsync(string member, CancellationToken cancellationToken) =>
        (await client.ListReplicationEventsAsync(member, cancellationToken)).OfType<JsonObject>().Select(e => e["id"]!.GetValue<long>()).DefaultIfEmpty(0).Max();

    /// <summary>Status, operating status, replica_of, replication and fault of each instance: what the report shows when a run fails.</summary>
    public async Task<string> DescribeAsync(CancellationToken cancellationToken)
    {
        var lines = new List<string>();
        foreach (var id in Instances)
        {
            var instance = await client.GetInstanceAsync(id, cancellationToken);
            lines.Add(instance is null ? $"  {id}: gone" : $"  {id}: {instance["status"]}/{instance["operating_status"]}, replica_of {instance["replica_of"]?["id"]}, " +
                                                           $"replication {instance["replication"]?.ToJsonString()}, fault {instance["fault"]?.ToJsonString()}");
            lines.Add($"  guest.log of {id}:\n{GuestLogTail(id)}");
        }

        if (Instances.Count > 0)
        {
            var events = await client.ListReplicationEventsAsync(Instances[0], cancellationToken);
            lines.Add($"  events: {events.ToJsonString()}");
        }

        return string.Join('\n', lines);
    }

    /// <summary>Replicas first (a source with replicas cannot be deleted), each until 404.</summary>
    public async Task DeleteAllAsync(CancellationToken cancellationToken)
    {
        var ordered = new List<string>();
        foreach (var id in Instances)
        {
            var instance = await client.GetInstanceAsync(id, cancellationToken);
            if (instance?["replica_of"] is not null)
                ordered.Insert(0, id);
            else
                ordered.Add(id);
        }

        foreach (var id in ordered)
        {
            await client.DeleteInstanceAsync(id, cancellationToken);
            var started = Stopwatch.GetTimestamp();
            while (await client.GetInstanceAsync(id, cancellationToken) is { } instance)
            {
                if (Stopwatch.GetElapsedTime(started) > BuildDeadline)
                    throw new TimeoutException($"Instance {id} was still {(string?)instance["status"]} {BuildDeadline.TotalMinutes:0} minutes after its DELETE.");
                await Task.Delay(Poll, cancellationToken);
            }

            Instances.Remove(id);
        }
    }

    public string GuestLogTail(string id, int lines = 12)
    {
        var path = Path.Combine(dataDir, "instances", id, "log", "guest.log");
        try
        {
            using var reader = new StreamReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
            return string.Join('\n', reader.ReadToEnd().Split('\n').TakeLast(lines));
        }
        catch (IOException)
        {
            return $"(no {path})";
        }
    }

    /// <summary>A process's program name (no arguments: a guest's or server's command line may be long, never secret here, but noisy).</summary>
    private static string Name(string? commandLine) =>
        commandLine is null ? "?" : Path.GetFileName(commandLine.Split(' ')[0]) is "dotnet" && commandLine.Split(' ') is { Length: > 1 } parts
            ? Path.GetFileName(parts[1])
            : Path.GetFileName(commandLine.Split(' ')[0]);
}

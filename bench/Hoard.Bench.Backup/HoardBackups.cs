using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Hoard.Bench.Provisioning;

namespace Hoard.Bench.Backup;

/// <summary>Hoard's side: instances, backups and restores through the API, each timed until the state a user waits for.</summary>
internal sealed class HoardBackups(TroveClient client, string dataDir, string serverLog)
{
    /// <summary>m1.medium: 2 vCPUs, the whole of this 2-CPU machine, so the instance's CPU quota does not slow its backup tool.</summary>
    public const string Flavor = "3";

    public const int VolumeGb = 5;

    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(30);

    /// <summary>Instances and backups not yet deleted, for the cleanup.</summary>
    public List<string> Instances { get; } = [];

    public List<string> Backups { get; } = [];

    /// <summary>A new instance with a database and a user, both named <see cref="BenchInstance.AppUser"/>, once ACTIVE.</summary>
    public async Task<BenchInstance> CreateAsync(BackupDatastore datastore, CancellationToken cancellationToken)
    {
        var password = Passwords.New();
        var id = await client.CreateInstanceAsync($"bench-{datastore.Type}", datastore, Flavor, VolumeGb, BenchInstance.AppUser, password,
            backupId: null, cancellationToken);
        Instances.Add(id);
        var (address, _) = await WaitForActiveAsync(id, cancellationToken);
        return Instance(datastore, id, address, password);
    }

    /// <summary>POST /backups → COMPLETED, then the instance ACTIVE again (not timed); returns the backup and its time.</summary>
    public async Task<(string Id, TimeSpan Elapsed, double StoredGb)> BackupAsync(BenchInstance instance, string name, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var id = await client.CreateBackupAsync(name, instance.Id, cancellationToken);
        Backups.Add(id);
        while (true)
        {
            var backup = await client.GetBackupAsync(id, cancellationToken) ?? throw new InvalidOperationException($"Backup {id} disappeared.");
            var status = (string?)backup["status"];
            if (status == "COMPLETED")
            {
                var elapsed = Stopwatch.GetElapsedTime(started);
                await WaitForActiveAsync(instance.Id, cancellationToken);
                return (id, elapsed, backup["size"]?.GetValue<double>() ?? 0);
            }

            if (status == "FAILED")
                throw new InvalidOperationException($"Backup {id} FAILED: {backup["fault"]?.ToJsonString() ?? "(no fault)"}\nguest log: {GuestLog(instance.Id)}");
            Check(started, $"Backup {id} was still {status}");
            await Task.Delay(Poll, cancellationToken);
        }
    }

    /// <summary>POST /instances with the backup as its restore point → ACTIVE; returns the new instance and the time.</summary>
    public async Task<(BenchInstance Instance, TimeSpan Elapsed)> RestoreAsync(BackupDatastore datastore, string backupId, string password, int index,
        CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var id = await client.CreateInstanceAsync($"bench-{datastore.Type}-restored-{index.ToString(CultureInfo.InvariantCulture)}", datastore, Flavor,
            VolumeGb, user: null, password: null, backupId, cancellationToken);
        Instances.Add(id);
        var (address, _) = await WaitForActiveAsync(id, cancellationToken);
        return (Instance(datastore, id, address, password), Stopwatch.GetElapsedTime(started));
    }

    /// <summary>DELETE the instance and wait for 404.</summary>
    public async Task DeleteInstanceAsync(string id, CancellationToken cancellationToken)
    {
        await client.DeleteInstanceAsync(id, cancellationToken);
        var started = Stopwatch.GetTimestamp();
        while (await client.GetInstanceAsync(id, cancellationToken) is { } instance)
        {
            Check(started, $"Instance {id} was still {(string?)instance["status"]} after its DELETE");
            await Task.Delay(Poll, cancellationToken);
        }

        Instances.Remove(id);
    }

    public async Task DeleteBackupAsync(string id, CancellationToken cancellationToken)
    {
        await client.DeleteBackupAsync(id, cancellationToken);
        Backups.Remove(id);
    }

    /// <summary>Everything this run created and did not delete yet; used by the cleanup, after Ctrl+C too.</summary>
    public async Task DeleteAllAsync(CancellationToken cancellationToken)
    {
        foreach (var id in Instances.ToList())
            await DeleteInstanceAsync(id, cancellationToken);
        foreach (var id in Backups.ToList())
            await DeleteBackupAsync(id, cancellationToken);
    }

    /// <summary>The guest's and the server's own account of a backup: the upload as the guest timed it, the store as the server did.</summary>
    public string BackupTimeline(string instanceId, string backupId) =>
        $"guest: {After(GuestLog(instanceId, int.MaxValue), $"backup {backupId} uploaded")}; server: {After(ReadLog(serverLog, int.MaxValue), $"Stored backup {backupId}:")}";

    /// <summary>The restored instance's prepare as its guest timed it, and the server's send of the backup.</summary>
    public string RestoreTimeline(string instanceId, string backupId) =>
        $"guest: {After(GuestLog(instanceId, int.MaxValue), $"prepared from backup {backupId}")}; server: {After(ReadLog(serverLog, int.MaxValue), $"Sent backup {backupId}")}";

    /// <summary>The rest of the first line holding <paramref name="text"/>, after it.</summary>
    private static string After(string log, string text) =>
        log.Split('\n').FirstOrDefault(l => l.Contains(text, StringComparison.Ordinal)) is { } line
            ? line[(line.IndexOf(text, StringComparison.Ordinal) + text.Length)..].Trim()
            : $"(no \"{text}\" in the log)";

    private BenchInstance Instance(BackupDatastore datastore, string id, string address, string password) =>
        new(id, address, password, Path.Combine(dataDir, "instances", id), Path.Combine(dataDir, "volumes", id, datastore.DataSubdirectory));

    private async Task<(string Address, JsonObject Instance)> WaitForActiveAsync(string id, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            var instance = await client.GetInstanceAsync(id, cancellationToken) ?? throw new InvalidOperationException($"Instance {id} disappeared.");
            var status = (string?)instance["status"];
            if (status == "ACTIVE")
            {
                return ((string?)instance["ip"]?[0] is { Length: > 0 } address ? address
                    : throw new InvalidOperationException($"Instance {id} is ACTIVE without an ip."), instance);
            }

            if (status == "ERROR")
                throw new InvalidOperationException($"Instance {id} went to ERROR: {instance["fault"]?.ToJsonString() ?? "(no fault)"}\nguest log: {GuestLog(id)}");
            Check(started, $"Instance {id} was still {status}");
            await Task.Delay(Poll, cancellationToken);
        }
    }

    private static void Check(long started, string what)
    {
        if (Stopwatch.GetElapsedTime(started) > Deadline)
            throw new TimeoutException($"{what} after {Deadline.TotalMinutes:0} minutes.");
    }

    private string GuestLog(string id, int lines = 15) => ReadLog(Path.Combine(dataDir, "instances", id, "log", "guest.log"), lines);

    private static string ReadLog(string path, int lines)
    {
        try
        {
            using var reader = new StreamReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
            return string.Join('\n', reader.ReadToEnd().Split('\n').TakeLast(lines));
        }
        catch (IOException)
        {
            return "(none)";
        }
    }
}

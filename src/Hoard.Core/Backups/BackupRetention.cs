namespace Hoard.Core.Backups;

/// <summary>How long a schedule's backups are kept: the newest <paramref name="Count"/> completed ones, none older than <paramref name="Days"/>.</summary>
public sealed record RetentionPolicy(int? Count, int? Days);

/// <summary>A backup of the instance, as retention sees it. <paramref name="Scheduled"/>: a schedule made it (only those are pruned).</summary>
public sealed record RetentionCandidate(string Id, string? ParentId, string Status, DateTimeOffset Created, bool Scheduled);

/// <summary>A backup retention deletes, and why.</summary>
public sealed record ExpiredBackup(string Id, string Reason);

/// <summary>
/// Which of an instance's scheduled backups a retention policy lets go. Never a backup made by hand, never a running one,
/// and never one that a kept backup builds on: a chain is deleted whole or not at all (deleting a backup deletes the
/// backups built on it too).
/// </summary>
public static class BackupRetention
{
    /// <param name="backups">The instance's backups that are not deleted, made by hand or by the schedule.</param>
    /// <returns>Newest first, so that a child comes before its parent.</returns>
    public static IReadOnlyList<ExpiredBackup> Select(IReadOnlyCollection<RetentionCandidate> backups, RetentionPolicy policy, DateTimeOffset now)
    {
        var expired = new Dictionary<string, string>();
        var scheduled = backups.Where(b => b.Scheduled && !BackupStatus.IsRunning(b.Status)).OrderByDescending(b => b.Created).ToList();
        var completed = scheduled.Where(b => b.Status == BackupStatus.Completed).ToList();
        var cutoff = policy.Days is { } days ? now - TimeSpan.FromDays(days) : (DateTimeOffset?)null;
        for (var i = 0; i < completed.Count; i++)
        {
            if (policy.Count is { } count && i >= count)
            {
                expired[completed[i].Id] = $"beyond the newest {count} completed scheduled backups";
            }
            else if (completed[i].Created < cutoff)
            {
                expired[completed[i].Id] = $"older than {policy.Days} days";
            }
        }

        // Failed ones hold nothing to restore: kept only to show why, until a newer one completed, and no more than count.
        var newestCompleted = completed.Count > 0 ? completed[0].Created : (DateTimeOffset?)null;
        var failed = scheduled.Where(b => b.Status != BackupStatus.Completed).ToList();
        for (var i = 0; i < failed.Count; i++)
        {
            if (failed[i].Created < newestCompleted)
            {
                expired[failed[i].Id] = $"{failed[i].Status}, and a newer scheduled backup completed";
            }
            else if (policy.Count is { } count && i >= count)
            {
                expired[failed[i].Id] = $"{failed[i].Status}, beyond the newest {count} failed scheduled backups";
            }
            else if (failed[i].Created < cutoff)
            {
                expired[failed[i].Id] = $"{failed[i].Status}, older than {policy.Days} days";
            }
        }

        // Whatever stays keeps every backup it builds on.
        var byId = backups.ToDictionary(b => b.Id);
        foreach (var kept in backups.Where(b => !expired.ContainsKey(b.Id)))
        {
            for (var parent = kept.ParentId; parent is not null && byId.TryGetValue(parent, out var p); parent = p.ParentId)
            {
                expired.Remove(parent);
            }
        }

        return [.. backups.Where(b => expired.ContainsKey(b.Id)).OrderByDescending(b => b.Created).ThenByDescending(b => b.Id)
            .Select(b => new ExpiredBackup(b.Id, expired[b.Id]))];
    }
}

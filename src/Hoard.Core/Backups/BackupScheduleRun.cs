namespace Hoard.Core.Backups;

/// <summary>
/// One due time of a schedule and what became of it. A run with a <see cref="BackupId"/> is what marks a backup as
/// scheduled, so it is kept as long as its backup is.
/// </summary>
public sealed class BackupScheduleRun
{
    public long Id { get; set; }
    public required string InstanceId { get; set; }
    public required string ProjectId { get; set; }
    public DateTimeOffset Due { get; set; }

    /// <summary>One of <see cref="ScheduleRunStatus"/>.</summary>
    public required string Status { get; set; }
    public string? BackupId { get; set; }

    /// <summary>Why the run waits, was skipped or failed, in words a user can act on.</summary>
    public string? Reason { get; set; }
    public DateTimeOffset Created { get; set; }
    public DateTimeOffset Updated { get; set; }
}

/// <summary>What became of a schedule's run.</summary>
public static class ScheduleRunStatus
{
    /// <summary>Claimed: its backup is being started (after a crash, the backup's existence tells whether it was).</summary>
    public const string Starting = "STARTING";

    /// <summary>The instance was busy; retried until its window closes.</summary>
    public const string Waiting = "WAITING";

    /// <summary>Its backup runs.</summary>
    public const string Running = "RUNNING";
    public const string Completed = "COMPLETED";

    /// <summary>Its backup failed, or could not be started (quota, unsupported); the reason says which.</summary>
    public const string Failed = "FAILED";

    /// <summary>Not run: the instance was busy until the window closed, or hoard-server was down.</summary>
    public const string Skipped = "SKIPPED";
}

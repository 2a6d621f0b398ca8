namespace Hoard.Core.Backups;

/// <summary>Trove's backup states (the subset Hoard uses).</summary>
public static class BackupStatus
{
    public const string New = "NEW";
    public const string Building = "BUILDING";
    public const string Completed = "COMPLETED";
    public const string Failed = "FAILED";
    public const string DeleteFailed = "DELETE_FAILED";

    /// <summary>States in which a workflow still works on the backup.</summary>
    public static bool IsRunning(string status) => status is New or Building;
}

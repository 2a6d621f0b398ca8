namespace Hoard.Core.Backups;

/// <summary>
/// Trove's backup strategy: the storage container a project's backups go to, or one instance's (which wins over the
/// project's). A backup that names its own <c>swift_container</c> wins over both.
/// </summary>
public sealed class BackupStrategy
{
    public required string ProjectId { get; init; }

    /// <summary>Empty for the project's strategy.</summary>
    public required string InstanceId { get; init; }
    public required string Backend { get; init; }
    public required string SwiftContainer { get; init; }
    public DateTimeOffset Created { get; init; }
    public DateTimeOffset Updated { get; init; }
}

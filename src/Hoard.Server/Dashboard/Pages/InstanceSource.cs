namespace Hoard.Server.Dashboard.Pages;

/// <summary>Where a new instance's data comes from.</summary>
internal enum InstanceSource
{
    Empty,
    ReplicaOf,
    Backup,
    PointInTime,
}

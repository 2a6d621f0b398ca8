namespace Hoard.Core.Instances;

/// <summary>What the control plane is doing to an instance (Trove's task status). Error tasks end in <c>Error</c>.</summary>
public enum InstanceTask
{
    None,
    Building,
    Deleting,
    Rebooting,
    Resizing,
    RestartRequired,

    /// <summary>A configuration group's values are being applied (Trove's UPDATING; the API shows ACTIVE).</summary>
    Updating,

    /// <summary>A backup of the instance is being taken (Trove shows BACKUP while a backup runs).</summary>
    BackingUp,
    BuildingError,
    BuildingErrorTimeout,
    RebootingError,
    DeletingError,
}

public static class InstanceTaskExtensions
{
    public static bool IsError(this InstanceTask task) => task.ToString().Contains("Error", StringComparison.Ordinal);
}

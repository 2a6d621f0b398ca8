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

    /// <summary>A replica is being promoted to source (Trove's PROMOTING; all members of the set).</summary>
    Promoting,

    /// <summary>A dead source is being replaced by its most advanced replica (Trove's EJECTING; all members of the set).</summary>
    Ejecting,

    /// <summary>A replica is leaving its set to become a standalone instance (Trove's DETACHING).</summary>
    Detaching,
    BuildingError,
    BuildingErrorTimeout,
    RebootingError,
    DeletingError,
    PromotionError,
    EjectionError,
    DetachingError,
}

public static class InstanceTaskExtensions
{
    public static bool IsError(this InstanceTask task) => task.ToString().Contains("Error", StringComparison.Ordinal);
}

using Hoard.Contracts.Guest;

namespace Hoard.Core.Instances;

/// <summary>The API's <c>status</c> and <c>operating_status</c>, derived from the stored axes as Trove derives them.</summary>
public static class InstanceStatusView
{
    public static string Status(InstanceTask task, ServerStatus server, bool backupRunning = false)
    {
        if (task.IsError())
        {
            return "ERROR";
        }

        return task switch
        {
            InstanceTask.Building => server == ServerStatus.Error ? "ERROR" : "BUILD",
            InstanceTask.Rebooting => "REBOOT",
            InstanceTask.Resizing => "RESIZE",
            InstanceTask.RestartRequired => "RESTART_REQUIRED",
            InstanceTask.Deleting => server == ServerStatus.Error ? "ERROR" : "SHUTDOWN",
            InstanceTask.BackingUp => "BACKUP",
            InstanceTask.Promoting => "PROMOTE",
            InstanceTask.Ejecting => "EJECT",
            InstanceTask.Detaching => "DETACH",
            _ when backupRunning => "BACKUP",
            _ => server switch
            {
                ServerStatus.Build => "BUILD",
                ServerStatus.Active => "ACTIVE",
                ServerStatus.Shutdown => "SHUTDOWN",
                ServerStatus.Error => "ERROR",
                _ => "UNKNOWN",
            },
        };
    }

    /// <summary>
    /// Empty unless nothing is in progress and the server is up; then the guest's report. A backup counts as nothing in
    /// progress, as in Trove (where a backup sets no task): the database keeps serving while it is copied.
    /// </summary>
    public static string OperatingStatus(InstanceTask task, ServerStatus server, ServiceStatus service) =>
        task is (InstanceTask.None or InstanceTask.BackingUp) && server == ServerStatus.Active ? ServiceApiName(service) : "";

    public static string ServiceApiName(ServiceStatus service) => service switch
    {
        ServiceStatus.Running => "ACTIVE",
        ServiceStatus.Healthy => "HEALTHY",
        ServiceStatus.Blocked => "BLOCKED",
        ServiceStatus.Shutdown or ServiceStatus.Crashed => "SHUTDOWN",
        ServiceStatus.Building => "BUILD",
        ServiceStatus.New => "NEW",
        ServiceStatus.Failed => "FAILED",
        ServiceStatus.Restarting => "RESTARTING",
        ServiceStatus.Deleted => "DELETED",
        _ => "ERROR",
    };
}

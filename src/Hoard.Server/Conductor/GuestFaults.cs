using Hoard.Contracts.Conductor;
using Hoard.Contracts.Guest;
using Hoard.Core.Instances;
using Hoard.Persistence;

namespace Hoard.Server.Conductor;

/// <summary>
/// Turns what a heartbeat says about an instance's health into its fault. A failed prepare and each run of database
/// server crashes are events: recorded once, they stay until a newer fault replaces them, as Trove's faults do. A full
/// volume is a condition: recorded while it lasts, removed when the guest reports room again (data deleted, volume
/// resized), which shows the fault before it again, if there was one.
/// </summary>
internal sealed class GuestFaults(InstanceStore instances, ConductorStore lastSeen)
{
    /// <summary>The conductor's last-seen key for crash reports: each run of crashes, by its start, is recorded once.</summary>
    public const string CrashReports = ConductorMethods.Heartbeat + ".crash";

    public async Task RecordAsync(InstanceRecord instance, HeartbeatPayload heartbeat, CancellationToken cancellationToken)
    {
        if (heartbeat.Status == ServiceStatus.Failed && instance.ServiceStatus != ServiceStatus.Failed && heartbeat.Fault is not null)
        {
            await instances.AddFaultAsync(instance.Id, heartbeat.Fault, heartbeat.FaultDetails, cancellationToken);
        }

        if (heartbeat.Crash is { } crash && await lastSeen.TryAdvanceAsync(instance.Id, CrashReports, crash.Since, cancellationToken))
        {
            await instances.AddFaultAsync(instance.Id, crash.Message, crash.Details, cancellationToken);
        }

        if (heartbeat.Volume is not { } volume)
        {
            return;
        }

        // Read first: almost every heartbeat changes nothing, and a read does not take SQLite's write lock.
        var latest = await instances.GetLatestFaultAsync(instance.Id, cancellationToken);
        var shownIsVolumeFault = latest is not null && VolumeFault.Is(latest.Message);
        if (volume.Full && !shownIsVolumeFault)
        {
            await instances.AddFaultAsync(instance.Id, VolumeFault.Message(volume), VolumeFault.Details(volume), cancellationToken);
        }
        else if (!volume.Full && shownIsVolumeFault)
        {
            await instances.DeleteFaultsAsync(instance.Id, VolumeFault.Prefix, cancellationToken);
        }
    }
}

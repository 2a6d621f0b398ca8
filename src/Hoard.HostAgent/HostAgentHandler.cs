using System.Text.Json;
using Hoard.Contracts.Bus;
using Hoard.Contracts.Hosts;
using Hoard.Core.Compute;

namespace Hoard.HostAgent;

/// <summary>
/// Answers hoard-server's calls on this host's topic by calling the local compute and volume providers, exactly as
/// hoard-server itself does with <c>Hoard:Compute=local</c>.
/// </summary>
internal sealed class HostAgentHandler(IComputeProvider compute, IVolumeProvider volumes)
{
    public async Task<JsonElement?> HandleAsync(BusEnvelope message, CancellationToken cancellationToken)
    {
        var request = HostJson.FromElement<HostRequest>(message.Args);
        var id = request.InstanceId;
        var reply = message.Method switch
        {
            HostMethods.AllocateAddress => new HostReply(Text: await compute.AllocateAddressAsync(id, Required(request.Port, "port"), cancellationToken)),
            HostMethods.StartGuest => await StartAsync(request, cancellationToken),
            HostMethods.IsGuestRunning => new HostReply(Flag: await compute.IsGuestRunningAsync(id, cancellationToken)),
            HostMethods.StopGuest => await DoneAsync(compute.StopGuestAsync(id, TimeSpan.FromSeconds(request.GraceSeconds ?? 0), cancellationToken)),
            HostMethods.Release => await DoneAsync(compute.ReleaseAsync(id, cancellationToken)),
            HostMethods.ApplyLimits => await DoneAsync(compute.ApplyResourceLimitsAsync(id, Required(request.RamMb, "ram_mb"),
                Required(request.Vcpus, "vcpus"), cancellationToken)),
            HostMethods.DescribeLimits => Limits(await compute.DescribeResourceLimitsAsync(id, cancellationToken)),
            HostMethods.ListHeld => Held(await compute.ListHeldResourcesAsync(cancellationToken)),
            HostMethods.CreateVolume => new HostReply(Text: await volumes.CreateAsync(id, Required(request.SizeGb, "size_gb"), cancellationToken)),
            HostMethods.VolumeUsed => new HostReply(Number: await volumes.GetUsedBytesAsync(id, cancellationToken)),
            HostMethods.ResizeVolume => new HostReply(Flag: await volumes.ResizeAsync(id, Required(request.SizeGb, "size_gb"),
                ct => compute.StopGuestAsync(id, TimeSpan.FromSeconds(request.GraceSeconds ?? 30), ct), cancellationToken)),
            HostMethods.DeleteVolume => await DoneAsync(volumes.DeleteAsync(id, cancellationToken)),
            HostMethods.ListHeldVolumes => Held(await volumes.ListHeldResourcesAsync(cancellationToken)),
            _ => throw new HandlerException("UnknownMethod", $"A host agent does not know '{message.Method}'."),
        };
        return HostJson.ToElement(reply);
    }

    private async Task<HostReply> StartAsync(HostRequest request, CancellationToken cancellationToken)
    {
        var l = request.Launch ?? throw new HandlerException("BadRequest", "start_guest needs a launch.");
        await compute.StartGuestAsync(new GuestLaunch(l.InstanceId, l.Manager, l.Address, l.Port, l.VolumePath, l.BusSecret, l.RamMb, l.Vcpus,
                l.BrokerUser),
            cancellationToken);
        return new HostReply();
    }

    private static async Task<HostReply> DoneAsync(Task work)
    {
        await work;
        return new HostReply();
    }

    private static HostReply Limits(ResourceLimits limits) =>
        new(Limits: new HostLimits(limits.MemoryLimitMb, limits.CpuQuota, limits.EnforcedBy, limits.Reason, limits.OomKills));

    private static HostReply Held(IReadOnlyList<HeldResource> held) =>
        new(Held: [.. held.Select(h => new HostHeldResource(h.InstanceId, h.What, h.Since))]);

    private static int Required(int? value, string name) =>
        value ?? throw new HandlerException("BadRequest", $"'{name}' is required.");
}

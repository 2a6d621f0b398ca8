using Hoard.Core.Compute;
using Hoard.Core.Instances;
using Hoard.Persistence;
using Hoard.Server.Hosting;
using Microsoft.Extensions.Options;

namespace Hoard.Server.TaskManager.Hosts;

/// <summary>
/// Places instances of the <c>hosts</c> compute provider (<see cref="HostPlacement"/> over the hosts table) and records
/// where. Free capacity is what is not promised to instances already placed (flavor RAM, volume size), and never more
/// than the host measures free; placements are serialised, so concurrent builds see each other's.
/// </summary>
internal sealed partial class InstanceHosts(
    HostStore hosts, InstanceStore instances, CatalogStore catalog, IOptions<HoardOptions> options, TimeProvider time,
    ILogger<InstanceHosts> logger) : IInstanceHosts
{
    private readonly SemaphoreSlim _placing = new(1, 1);

    public async Task<string> PlaceAsync(string instanceId, CancellationToken cancellationToken)
    {
        var instance = await instances.GetAsync(instanceId, cancellationToken)
                       ?? throw new InvalidOperationException($"Instance {instanceId} is gone.");
        if (instance.Host is { } current && (instance.Task != InstanceTask.Building || await IsUpAsync(current, cancellationToken)))
        {
            // An instance that was built stays where its data is, host up or not.
            return current;
        }

        await _placing.WaitAsync(cancellationToken);
        try
        {
            instance = await instances.GetAsync(instanceId, cancellationToken) ?? throw new InvalidOperationException($"Instance {instanceId} is gone.");
            if (instance.Host is { } placed && await IsUpAsync(placed, cancellationToken))
            {
                return placed;
            }

            var flavor = await catalog.GetFlavorAsync(instance.FlavorId, cancellationToken)
                         ?? throw new InvalidOperationException($"Flavor {instance.FlavorId} is gone.");
            var (peers, locality) = await hosts.SetOfAsync(instanceId, cancellationToken);
            if (instance.ReplicaOf is not null || peers.Count > 0)
            {
                locality ??= Locality.ReplicaDefault;
            }

            var candidates = (await hosts.ListAsync(cancellationToken)).Select(h =>
            {
                // The instance's own share of its old host is not counted against that host.
                var own = h.Name == instance.Host ? 1 : 0;
                return new HostCandidate(h.Name, IsUp(h),
                    Math.Min(h.RamMb - h.AllocatedRamMb + own * flavor.RamMb, h.FreeRamMb),
                    Math.Min(h.DiskGb - h.AllocatedDiskGb + own * instance.VolumeSize, h.FreeDiskGb));
            }).ToList();
            var decision = HostPlacement.Choose(candidates, flavor.RamMb, instance.VolumeSize, locality, peers);
            if (decision.Host is not { } chosen)
            {
                throw new PlacementException(decision.Reason);
            }

            if (!await hosts.TrySetHostAsync(instanceId, instance.Host, chosen, cancellationToken))
            {
                throw new InvalidOperationException($"Instance {instanceId} was placed meanwhile, or deleted.");
            }

            LogPlaced(instanceId, chosen, decision.Reason, instance.Host);
            return chosen;
        }
        finally
        {
            _placing.Release();
        }
    }

    public Task<string?> HostOfAsync(string instanceId, CancellationToken cancellationToken) => hosts.HostOfAsync(instanceId, cancellationToken);

    public async Task<bool> IsUpAsync(string host, CancellationToken cancellationToken) =>
        await hosts.GetAsync(host, cancellationToken) is { } record && IsUp(record);

    public async Task<IReadOnlyList<string>> UpHostsAsync(CancellationToken cancellationToken) =>
        [.. (await hosts.ListAsync(cancellationToken)).Where(IsUp).Select(h => h.Name)];

    /// <summary>Up when its agent reported within HostDownAfterSeconds, whatever the status column says yet.</summary>
    private bool IsUp(HostRecord host) =>
        host.LastSeen is { } seen && time.GetUtcNow() - seen < TimeSpan.FromSeconds(options.Value.HostDownAfterSeconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Placed instance {InstanceId} on host {Host} ({Reason}; before: {Previous})")]
    private partial void LogPlaced(string instanceId, string host, string reason, string? previous);
}

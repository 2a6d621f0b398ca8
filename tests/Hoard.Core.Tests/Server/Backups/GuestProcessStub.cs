using Hoard.Core.Compute;

namespace Hoard.Core.Tests.Server.Backups;

/// <summary>A compute provider that only answers whether the guest process runs; the backup workflow asks nothing else.</summary>
internal sealed class GuestProcessStub : IComputeProvider
{
    public volatile bool Running = true;

    public string Name => "stub";

    public Task<bool> IsGuestRunningAsync(string instanceId, CancellationToken cancellationToken) => Task.FromResult(Running);

    public Task<string> AllocateAddressAsync(string instanceId, int port, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task StartGuestAsync(GuestLaunch launch, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task StopGuestAsync(string instanceId, TimeSpan gracePeriod, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task ReleaseAsync(string instanceId, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task ApplyResourceLimitsAsync(string instanceId, int ramMb, int vcpus, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<ResourceLimits> DescribeResourceLimitsAsync(string instanceId, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<IReadOnlyList<HeldResource>> ListHeldResourcesAsync(CancellationToken cancellationToken) => throw new NotSupportedException();
}

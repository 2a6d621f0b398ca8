using Hoard.Core.Compute;

namespace Hoard.Providers.Local;

/// <summary>Where nothing can filter connections: says so (the API then refuses restrictions) and holds no rules.</summary>
public sealed class UnenforcedNetworkAccess(string reason) : INetworkAccessProvider
{
    public const string ProviderName = "none";

    public string Name => ProviderName;

    public string? UnavailableReason { get; } = reason;

    public Task ReplaceAllAsync(IReadOnlyList<AccessRule> rules, CancellationToken cancellationToken) => Task.CompletedTask;
}

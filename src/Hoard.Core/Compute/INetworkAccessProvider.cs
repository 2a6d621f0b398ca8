namespace Hoard.Core.Compute;

/// <summary>
/// Enforces which networks may connect to instances' database ports (Trove's <c>allowed_cidrs</c>), outside the
/// database server, for every datastore alike.
/// </summary>
public interface INetworkAccessProvider
{
    /// <summary>What enforces the rules (<c>nftables</c>), or <c>none</c>.</summary>
    string Name { get; }

    /// <summary>Null when the provider enforces rules on this host; else why it cannot.</summary>
    string? UnavailableReason { get; }

    /// <summary>
    /// Make the host's rules exactly <paramref name="rules"/>: each listed instance accepts TCP on its address and
    /// port only from its allowed networks, and no rule of any other instance (of this server) remains. All or
    /// nothing: a failure leaves the previous rules in force. Idempotent.
    /// </summary>
    Task ReplaceAllAsync(IReadOnlyList<AccessRule> rules, CancellationToken cancellationToken);
}

/// <param name="Allowed">Never empty: an instance open to everyone has no rule.</param>
public sealed record AccessRule(string InstanceId, string Address, int Port, IReadOnlyList<Ipv4Cidr> Allowed);

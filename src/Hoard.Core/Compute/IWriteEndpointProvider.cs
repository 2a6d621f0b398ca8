namespace Hoard.Core.Compute;

/// <summary>
/// Replication sets' stable write endpoints: one address and port per set that always leads to the set's current
/// source, so applications need no reconfiguration after a switchover or failover.
/// </summary>
public interface IWriteEndpointProvider
{
    /// <summary>What serves the endpoints (<c>haproxy</c>), or <c>none</c>.</summary>
    string Name { get; }

    /// <summary>Null when the provider serves endpoints on this host; else why it cannot.</summary>
    string? UnavailableReason { get; }

    /// <summary>The address endpoints listen on (their ports are the sets').</summary>
    string Address { get; }

    /// <summary>
    /// Make the endpoints exactly <paramref name="endpoints"/>: each listens on <see cref="Address"/> and its port and
    /// forwards to its target; one with no target refuses connections. Connections through an endpoint whose target
    /// changed are ended (they led to a server that is no longer the source). Idempotent.
    /// </summary>
    Task ReplaceAllAsync(IReadOnlyList<WriteEndpoint> endpoints, CancellationToken cancellationToken);
}

/// <param name="TargetAddress">The set's current source; null while it has none (during a failover).</param>
public sealed record WriteEndpoint(string SetId, int Port, string? TargetAddress, int TargetPort);

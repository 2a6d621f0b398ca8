namespace Hoard.Contracts.Guest;

/// <summary>The role an instance plays in a replication set, as its guest reports it.</summary>
public static class ReplicationRoles
{
    /// <summary>Accepts writes; may have replicas.</summary>
    public const string Source = "source";

    /// <summary>Follows a source; read-only.</summary>
    public const string Replica = "replica";
}

/// <summary>
/// <c>get_replica_context</c> (a call, to the source): make the instance ready to serve <paramref name="ReplicaId"/>
/// (its replication account, PostgreSQL's replication slot for that replica, the binary log MariaDB needs), and say
/// how to reach it. Idempotent.
/// </summary>
/// <param name="Synchronous">The set is synchronous: from now on the source's commits return only once a replica has
/// the transaction (MariaDB semi-synchronous replication that never falls back to asynchronous; PostgreSQL
/// <c>synchronous_standby_names = ANY 1 (…)</c> over its replicas' slots), and the context tells the replica to
/// acknowledge (<c>Data["sync"] = "true"</c>). False turns it off again.</param>
public sealed record ReplicaContextRequest(string ReplicaId, bool Synchronous = false);

/// <summary>
/// How a replica reaches and authenticates to its source. The password is the source's replication account's; it
/// travels only on the bus and is never logged.
/// </summary>
/// <param name="SourceId">The source's instance id.</param>
/// <param name="Data">Datastore specifics, e.g. PostgreSQL's <c>slot</c> (the replication slot kept for the replica)
/// or Redis's <c>acl</c> (the source's customer users, to copy).</param>
public sealed record ReplicaContext(
    string SourceId,
    string Host,
    int Port,
    string User,
    string Password,
    IReadOnlyDictionary<string, string> Data);

/// <summary>
/// <c>attach_replica</c> (a call, to a prepared instance): from now on follow <paramref name="Source"/>, read-only, and
/// keep following it across restarts. Used to re-point a replica at a new source and to turn a demoted source into a
/// replica. The instance's data must be a prefix of the source's (it was its source, or its replica); otherwise the
/// guest refuses rather than diverge.
/// </summary>
public sealed record AttachReplicaRequest(ReplicaContext Source);

/// <summary><c>forget_replica</c> (a call, to a source): a replica left the set; free what was kept for it (PostgreSQL's slot).</summary>
public sealed record ForgetReplicaRequest(string ReplicaId);

/// <summary>
/// The replication state of one instance, in every heartbeat and as the answer of <c>get_replication_status</c>,
/// <c>promote</c> and <c>demote</c>.
/// </summary>
/// <param name="Role">A <see cref="ReplicationRoles"/> value, or null for a standalone instance (no replica ever attached).</param>
/// <param name="Position">How far this instance's data goes, comparable between members of one set (larger is newer):
/// MariaDB the sequence number of its GTID position in domain 0, PostgreSQL the LSN (replayed LSN on a replica),
/// Redis the replication offset.</param>
/// <param name="PositionText">The same position in the datastore's own notation (a GTID list, an LSN like 0/3000148).</param>
/// <param name="Streaming">A replica: true while it is connected to its source and receiving.</param>
/// <param name="LagSeconds">A replica: how far behind its source it is in seconds, where the datastore says.</param>
/// <param name="SourceHost">A replica: the host and port it follows (<c>127.0.0.1:3307</c>).</param>
/// <param name="Error">A replica: the last replication error, in the datastore's words, if replication stopped.</param>
/// <param name="ReadOnly">True while the instance refuses writes (a replica, or a demoted source).</param>
public sealed record ReplicationReport(
    string? Role,
    long Position,
    string PositionText,
    bool? Streaming = null,
    double? LagSeconds = null,
    string? SourceHost = null,
    string? Error = null,
    bool ReadOnly = false);

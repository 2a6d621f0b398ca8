using Hoard.Contracts.Conductor;
using Hoard.Contracts.Guest;
using Hoard.Guest.DatastoreLogs;

namespace Hoard.Guest.Datastores;

/// <summary>
/// The verbs of one datastore, the only code that knows it. Errors a user can fix are thrown as
/// <see cref="Hoard.Contracts.Bus.HandlerException"/> with a <see cref="GuestErrorCodes"/> code.
/// </summary>
internal interface IDatastoreManager : IAsyncDisposable
{
    /// <summary>
    /// Initialise (or, with <see cref="PrepareRequest.Restore"/>, restore the backup into) the data directory, configure
    /// for the flavor, start, secure, and create the requested databases and users.
    /// </summary>
    Task PrepareAsync(PrepareRequest request, CancellationToken cancellationToken);

    /// <summary>True once <see cref="PrepareAsync"/> has completed for this instance (survives a guest restart).</summary>
    bool IsPrepared { get; }

    /// <summary>
    /// Raised when the server exited without being asked to, before the supervisor restarts it (with backoff). Runs
    /// on the supervisor's thread; a handler must not block or throw.
    /// </summary>
    event Action<ServerCrash>? ServerCrashed;

    /// <summary>Start an already prepared server and supervise it (restart on crash, with backoff).</summary>
    Task StartAsync(CancellationToken cancellationToken);

    /// <summary>Stop the server cleanly and stop supervising it.</summary>
    Task StopAsync(CancellationToken cancellationToken);

    Task RestartAsync(CancellationToken cancellationToken);

    /// <summary>Probe the server now (a real query, not just the process).</summary>
    Task<ServiceStatus> ProbeAsync(CancellationToken cancellationToken);

    /// <summary>Connections, statements served, memory and CPU of the server, for the heartbeat; null unless it runs and answers.</summary>
    Task<DatastoreMetricsReport?> SampleMetricsAsync(CancellationToken cancellationToken);

    Task CreateDatabasesAsync(IReadOnlyList<DatabaseSpec> databases, CancellationToken cancellationToken);
    Task<IReadOnlyList<DatabaseSpec>> ListDatabasesAsync(CancellationToken cancellationToken);
    Task DeleteDatabaseAsync(string name, CancellationToken cancellationToken);

    Task CreateUsersAsync(IReadOnlyList<UserSpec> users, CancellationToken cancellationToken);
    Task<IReadOnlyList<UserInfo>> ListUsersAsync(CancellationToken cancellationToken);
    Task<UserInfo> GetUserAsync(UserRef user, CancellationToken cancellationToken);
    Task UpdateUserAttributesAsync(UserAttributes attributes, CancellationToken cancellationToken);
    Task ChangePasswordsAsync(IReadOnlyList<UserSpec> users, CancellationToken cancellationToken);
    Task DeleteUserAsync(UserRef user, CancellationToken cancellationToken);
    Task GrantAccessAsync(AccessRequest request, CancellationToken cancellationToken);
    Task RevokeAccessAsync(UserRef user, string database, CancellationToken cancellationToken);
    Task<IReadOnlyList<string>> ListAccessAsync(UserRef user, CancellationToken cancellationToken);

    Task<RootCredentials> EnableRootAsync(string? password, CancellationToken cancellationToken);
    Task DisableRootAsync(CancellationToken cancellationToken);
    Task<bool> IsRootEnabledAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Replace the configuration overrides: validate, apply the changed dynamic settings live (all or none), then
    /// persist the configuration so a restart keeps it. A value the server rejects changes nothing.
    /// </summary>
    Task<UpdateOverridesResult> UpdateOverridesAsync(UpdateOverridesRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// Runs the request's backup strategy against the running server and streams its output, zstd compressed, to
    /// the request's upload URL. The server keeps serving meanwhile. <see cref="PrepareRequest.Restore"/> is the way back.
    /// </summary>
    Task<CreateBackupResult> CreateBackupAsync(CreateBackupRequest request, CancellationToken cancellationToken);

    /// <summary>The logs users can publish (Trove's guest logs): error, slow-query and whatever else the datastore has.</summary>
    DatastoreLogSet Logs { get; }

    /// <summary>The settings of the configuration file (host paths left out).</summary>
    Task<IReadOnlyDictionary<string, string>> GetConfigurationAsync(CancellationToken cancellationToken);

    // Replication. A prepare with PrepareRequest.ReplicaOf builds a replica; these verbs change roles afterwards.

    /// <summary>On a source (or a standalone instance about to become one): make it ready to serve the replica and say how to reach it. Idempotent.</summary>
    Task<ReplicaContext> GetReplicaContextAsync(ReplicaContextRequest request, CancellationToken cancellationToken);

    /// <summary>Follow <paramref name="source"/> from now on, read-only, across restarts (re-point a replica; turn a demoted source into a replica).</summary>
    Task AttachReplicaAsync(ReplicaContext source, CancellationToken cancellationToken);

    /// <summary>On a source: the replica left the set; free what was kept for it. Unknown replicas are ignored.</summary>
    Task ForgetReplicaAsync(string replicaId, CancellationToken cancellationToken);

    /// <summary>The replication state now; null for a standalone instance that never took part in replication.</summary>
    Task<ReplicationReport?> GetReplicationStatusAsync(CancellationToken cancellationToken);

    /// <summary>A replica (or a demoted source) stops following and accepts writes; answers its position. Idempotent on a writable source.</summary>
    Task<ReplicationReport> PromoteAsync(CancellationToken cancellationToken);

    /// <summary>A source stops accepting writes (for a switchover) and answers its final position, which its replicas must reach.</summary>
    Task<ReplicationReport> DemoteAsync(CancellationToken cancellationToken);
}

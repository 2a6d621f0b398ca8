using System.Text.Json;
using Hoard.Contracts;
using Hoard.Contracts.Bus;
using Hoard.Contracts.Guest;

namespace Hoard.Messaging.Clients;

/// <summary>Typed calls to one instance's guest agent.</summary>
public sealed class GuestClient(IMessageBus bus, string instanceId, TimeSpan? timeout = null)
{
    private readonly string _topic = BusTopics.Guest(instanceId);
    private readonly TimeSpan _timeout = timeout ?? TimeSpan.FromSeconds(30);

    public Task PrepareAsync(PrepareRequest request, CancellationToken cancellationToken) =>
        bus.CastAsync(_topic, GuestMethods.Prepare, HoardJson.ToElement(request), cancellationToken);

    public Task RestartAsync(TimeSpan timeout, CancellationToken cancellationToken) =>
        bus.CallAsync(_topic, GuestMethods.Restart, null, timeout, cancellationToken);

    public Task PingAsync(CancellationToken cancellationToken) =>
        bus.CallAsync(_topic, GuestMethods.Ping, null, TimeSpan.FromSeconds(5), cancellationToken);

    public Task CreateDatabasesAsync(IReadOnlyList<DatabaseSpec> databases, CancellationToken cancellationToken) =>
        CallAsync(GuestMethods.CreateDatabases, HoardJson.ToElement(new CreateDatabasesRequest(databases)), cancellationToken);

    public async Task<IReadOnlyList<DatabaseSpec>> ListDatabasesAsync(CancellationToken cancellationToken) =>
        HoardJson.FromElement<DatabaseList>(await CallAsync(GuestMethods.ListDatabases, null, cancellationToken)).Databases;

    public Task DeleteDatabaseAsync(string name, CancellationToken cancellationToken) =>
        CallAsync(GuestMethods.DeleteDatabase, HoardJson.ToElement(new NameRequest(name)), cancellationToken);

    public Task CreateUsersAsync(IReadOnlyList<UserSpec> users, CancellationToken cancellationToken) =>
        CallAsync(GuestMethods.CreateUsers, HoardJson.ToElement(new CreateUsersRequest(users)), cancellationToken);

    public async Task<IReadOnlyList<UserInfo>> ListUsersAsync(CancellationToken cancellationToken) =>
        HoardJson.FromElement<UserList>(await CallAsync(GuestMethods.ListUsers, null, cancellationToken)).Users;

    public async Task<UserInfo> GetUserAsync(UserRef user, CancellationToken cancellationToken) =>
        HoardJson.FromElement<UserInfo>(await CallAsync(GuestMethods.GetUser, HoardJson.ToElement(user), cancellationToken));

    public Task UpdateUserAttributesAsync(UserAttributes attributes, CancellationToken cancellationToken) =>
        CallAsync(GuestMethods.UpdateUserAttributes, HoardJson.ToElement(attributes), cancellationToken);

    public Task ChangePasswordsAsync(IReadOnlyList<UserSpec> users, CancellationToken cancellationToken) =>
        CallAsync(GuestMethods.ChangePasswords, HoardJson.ToElement(new CreateUsersRequest(users)), cancellationToken);

    public Task DeleteUserAsync(UserRef user, CancellationToken cancellationToken) =>
        CallAsync(GuestMethods.DeleteUser, HoardJson.ToElement(user), cancellationToken);

    public Task GrantAccessAsync(AccessRequest request, CancellationToken cancellationToken) =>
        CallAsync(GuestMethods.GrantAccess, HoardJson.ToElement(request), cancellationToken);

    public Task RevokeAccessAsync(UserRef user, string database, CancellationToken cancellationToken) =>
        CallAsync(GuestMethods.RevokeAccess, HoardJson.ToElement(new AccessRequest(user.Name, user.Host, [database])), cancellationToken);

    public async Task<IReadOnlyList<string>> ListAccessAsync(UserRef user, CancellationToken cancellationToken) =>
        [.. HoardJson.FromElement<DatabaseList>(await CallAsync(GuestMethods.ListAccess, HoardJson.ToElement(user), cancellationToken))
            .Databases.Select(d => d.Name)];

    public async Task<RootCredentials> EnableRootAsync(string? password, CancellationToken cancellationToken) =>
        HoardJson.FromElement<RootCredentials>(await CallAsync(GuestMethods.EnableRoot,
            HoardJson.ToElement(new EnableRootRequest(password)), cancellationToken));

    public Task DisableRootAsync(CancellationToken cancellationToken) =>
        CallAsync(GuestMethods.DisableRoot, null, cancellationToken);

    public async Task<bool> IsRootEnabledAsync(CancellationToken cancellationToken) =>
        HoardJson.FromElement<BoolResult>(await CallAsync(GuestMethods.IsRootEnabled, null, cancellationToken)).Value;

    public async Task<UpdateOverridesResult> UpdateOverridesAsync(UpdateOverridesRequest request, CancellationToken cancellationToken) =>
        HoardJson.FromElement<UpdateOverridesResult>(await CallAsync(GuestMethods.UpdateOverrides, HoardJson.ToElement(request), cancellationToken));

    public async Task<IReadOnlyDictionary<string, string>> GetConfigurationAsync(CancellationToken cancellationToken) =>
        HoardJson.FromElement<ConfigurationValues>(await CallAsync(GuestMethods.GetConfiguration, null, cancellationToken)).Values;

    /// <summary>Runs as long as the backup takes: <paramref name="timeout"/> is the backup's deadline.</summary>
    public async Task<CreateBackupResult> CreateBackupAsync(CreateBackupRequest request, TimeSpan timeout, CancellationToken cancellationToken) =>
        HoardJson.FromElement<CreateBackupResult>(await bus.CallAsync(_topic, GuestMethods.CreateBackup, HoardJson.ToElement(request), timeout, cancellationToken));

    public async Task<ReplicaContext> GetReplicaContextAsync(string replicaId, bool synchronous, CancellationToken cancellationToken) =>
        HoardJson.FromElement<ReplicaContext>(await CallAsync(GuestMethods.GetReplicaContext,
            HoardJson.ToElement(new ReplicaContextRequest(replicaId, synchronous)), cancellationToken));

    /// <summary>May restart the server (PostgreSQL): <paramref name="timeout"/> covers it.</summary>
    public Task AttachReplicaAsync(ReplicaContext source, TimeSpan timeout, CancellationToken cancellationToken) =>
        bus.CallAsync(_topic, GuestMethods.AttachReplica, HoardJson.ToElement(new AttachReplicaRequest(source)), timeout, cancellationToken);

    public Task ForgetReplicaAsync(string replicaId, CancellationToken cancellationToken) =>
        CallAsync(GuestMethods.ForgetReplica, HoardJson.ToElement(new ForgetReplicaRequest(replicaId)), cancellationToken);

    /// <summary>Null for a standalone instance.</summary>
    public async Task<ReplicationReport?> GetReplicationStatusAsync(CancellationToken cancellationToken) =>
        await CallAsync(GuestMethods.GetReplicationStatus, null, cancellationToken) is { } reply && reply.ValueKind == JsonValueKind.Object
            ? HoardJson.FromElement<ReplicationReport>(reply)
            : null;

    public async Task<ReplicationReport> PromoteAsync(TimeSpan timeout, CancellationToken cancellationToken) =>
        HoardJson.FromElement<ReplicationReport>(await bus.CallAsync(_topic, GuestMethods.Promote, null, timeout, cancellationToken));

    public async Task<ReplicationReport> DemoteAsync(TimeSpan timeout, CancellationToken cancellationToken) =>
        HoardJson.FromElement<ReplicationReport>(await bus.CallAsync(_topic, GuestMethods.Demote, null, timeout, cancellationToken));

    public async Task<IReadOnlyList<GuestLogInfo>> ListGuestLogsAsync(CancellationToken cancellationToken) =>
        HoardJson.FromElement<GuestLogList>(await CallAsync(GuestMethods.ListGuestLogs, null, cancellationToken)).Logs;

    public async Task<GuestLogInfo> SetGuestLogAsync(string name, bool enabled, CancellationToken cancellationToken) =>
        HoardJson.FromElement<GuestLogInfo>(await CallAsync(GuestMethods.SetGuestLog, HoardJson.ToElement(new SetGuestLogRequest(name, enabled)), cancellationToken));

    public async Task<GuestLogChunk> ReadGuestLogAsync(ReadGuestLogRequest request, CancellationToken cancellationToken) =>
        HoardJson.FromElement<GuestLogChunk>(await CallAsync(GuestMethods.ReadGuestLog, HoardJson.ToElement(request), cancellationToken));

    private Task<JsonElement?> CallAsync(string method, JsonElement? args, CancellationToken cancellationToken) =>
        bus.CallAsync(_topic, method, args, _timeout, cancellationToken);
}

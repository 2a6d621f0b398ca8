using System.Text.Json;

namespace Hoard.Server.Dashboard.Api;

// The API's views, as far as the dashboard shows them; the field names are the API's (snake_case).

public sealed record Ref(string Id);

public sealed record NamedRef(string Id, string? Name);

public sealed record DatastoreRef(string? Type, string? Version);

public sealed record VolumeView(int Size, double? Used);

public sealed record FaultView(string Message, string? Created, string? Details);

public sealed record EndpointView(string? Address, int? Port, string? Reason);

public sealed record ReplicationView(string? Role, bool? Streaming, double? LagSeconds, string? Error, EndpointView? Endpoint);

public sealed record ServerView(string? Host);

public sealed record InstanceView(
    string Id, string Name, string Status, string? OperatingStatus, Ref Flavor, DatastoreRef Datastore, VolumeView Volume,
    IReadOnlyList<string>? Ip, int? Port, FaultView? Fault, string? Created, string? Updated, NamedRef? Configuration,
    Ref? ReplicaOf, IReadOnlyList<Ref>? Replicas, ReplicationView? Replication,
    string? TenantId, string? TaskDescription, string? ServiceStatus, ServerView? Server);

public sealed record FlavorView(string StrId, string Name, int Ram, int Vcpus);

public sealed record DatastoreVersionView(string Id, string Name);

public sealed record DatastoreView(string Id, string Name, IReadOnlyList<DatastoreVersionView> Versions);

public sealed record BackupView(string Id, string Name, string Created, double? Size, string Status, string? ParentId, FaultView? Fault);

public sealed record ConfigurationView(
    string Id, string Name, string? Description, string? DatastoreName, string? DatastoreVersionName,
    Dictionary<string, JsonElement>? Values, int? InstanceCount);

public sealed record DatabaseView(string Name);

public sealed record UserView(string Name, string? Host, IReadOnlyList<DatabaseView>? Databases);

public sealed record EventView(string Id, string Time, string Type, string Message, string? UserId);

public sealed record MetricSample(
    string Time, double? Connections, double? QueriesPerSecond, double? ReplicationLagSeconds, double? VolumeUsedBytes,
    double? VolumeSizeBytes, double? MemoryBytes, double? CpuPercent);

public sealed record ReplicationEventView(
    string Id, string Kind, string? OldSource, string? NewSource, string? Reason, string? Detected, string? Outcome, string? Details);

public sealed record QuotaView(string Resource, int InUse, int Limit);

public sealed record LogView(string Name, string? Type, string? Status, string? Published = null, string? Pending = null);

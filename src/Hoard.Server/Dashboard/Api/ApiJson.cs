using System.Text.Json.Serialization;

namespace Hoard.Server.Dashboard.Api;

// The envelopes the API wraps its views in.

internal sealed record InstancesEnvelope(IReadOnlyList<InstanceView> Instances);

internal sealed record InstanceEnvelope(InstanceView Instance);

internal sealed record FlavorsEnvelope(IReadOnlyList<FlavorView> Flavors);

internal sealed record FlavorEnvelope(FlavorView Flavor);

internal sealed record DatastoresEnvelope(IReadOnlyList<DatastoreView> Datastores);

internal sealed record BackupsEnvelope(IReadOnlyList<BackupView> Backups);

internal sealed record ConfigurationsEnvelope(IReadOnlyList<ConfigurationView> Configurations);

internal sealed record ConfigurationEnvelope(ConfigurationView Configuration);

internal sealed record DatabasesEnvelope(IReadOnlyList<DatabaseView> Databases);

internal sealed record UsersEnvelope(IReadOnlyList<UserView> Users);

internal sealed record EventsEnvelope(IReadOnlyList<EventView> Events);

internal sealed record MetricsEnvelope(IReadOnlyList<MetricSample> Metrics);

internal sealed record ReplicationEventsEnvelope(IReadOnlyList<ReplicationEventView> ReplicationEvents);

internal sealed record LogsEnvelope(IReadOnlyList<LogView> Logs);

internal sealed record QuotasEnvelope(IReadOnlyList<QuotaView> Quotas);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(InstancesEnvelope))]
[JsonSerializable(typeof(InstanceEnvelope))]
[JsonSerializable(typeof(FlavorsEnvelope))]
[JsonSerializable(typeof(FlavorEnvelope))]
[JsonSerializable(typeof(DatastoresEnvelope))]
[JsonSerializable(typeof(BackupsEnvelope))]
[JsonSerializable(typeof(ConfigurationsEnvelope))]
[JsonSerializable(typeof(ConfigurationEnvelope))]
[JsonSerializable(typeof(DatabasesEnvelope))]
[JsonSerializable(typeof(UsersEnvelope))]
[JsonSerializable(typeof(EventsEnvelope))]
[JsonSerializable(typeof(MetricsEnvelope))]
[JsonSerializable(typeof(ReplicationEventsEnvelope))]
[JsonSerializable(typeof(LogsEnvelope))]
[JsonSerializable(typeof(QuotasEnvelope))]
internal sealed partial class ApiJson : JsonSerializerContext;

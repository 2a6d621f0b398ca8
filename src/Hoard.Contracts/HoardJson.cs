using System.Text.Json;
using System.Text.Json.Serialization;
using Hoard.Contracts.Bus;
using Hoard.Contracts.Conductor;
using Hoard.Contracts.Guest;

namespace Hoard.Contracts;

/// <summary>Source-generated serialization for everything that crosses the bus.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(BusEnvelope))]
[JsonSerializable(typeof(PrepareRequest))]
[JsonSerializable(typeof(HeartbeatPayload))]
[JsonSerializable(typeof(DatabaseList))]
[JsonSerializable(typeof(UserList))]
[JsonSerializable(typeof(UserInfo))]
[JsonSerializable(typeof(UserRef))]
[JsonSerializable(typeof(UserAttributes))]
[JsonSerializable(typeof(AccessRequest))]
[JsonSerializable(typeof(RootCredentials))]
[JsonSerializable(typeof(EnableRootRequest))]
[JsonSerializable(typeof(CreateDatabasesRequest))]
[JsonSerializable(typeof(CreateUsersRequest))]
[JsonSerializable(typeof(NameRequest))]
[JsonSerializable(typeof(BoolResult))]
[JsonSerializable(typeof(UpdateOverridesRequest))]
[JsonSerializable(typeof(UpdateOverridesResult))]
[JsonSerializable(typeof(ConfigurationValues))]
[JsonSerializable(typeof(CreateBackupRequest))]
[JsonSerializable(typeof(ReplicaContextRequest))]
[JsonSerializable(typeof(ReplicaContext))]
[JsonSerializable(typeof(AttachReplicaRequest))]
[JsonSerializable(typeof(ForgetReplicaRequest))]
[JsonSerializable(typeof(ReplicationReport))]
[JsonSerializable(typeof(CreateBackupResult))]
[JsonSerializable(typeof(WalArchiveTarget))]
[JsonSerializable(typeof(GuestLogList))]
[JsonSerializable(typeof(GuestLogInfo))]
[JsonSerializable(typeof(SetGuestLogRequest))]
[JsonSerializable(typeof(ReadGuestLogRequest))]
[JsonSerializable(typeof(GuestLogChunk))]
[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(IReadOnlyList<UserRef>))]
[JsonSerializable(typeof(IReadOnlyList<UserSpec>))]
public sealed partial class HoardJson : JsonSerializerContext
{
    public static JsonElement ToElement<T>(T value) =>
        JsonSerializer.SerializeToElement(value, (System.Text.Json.Serialization.Metadata.JsonTypeInfo<T>)Default.GetTypeInfo(typeof(T))!);

    public static T FromElement<T>(JsonElement? value) =>
        value is { } e
            ? JsonSerializer.Deserialize(e, (System.Text.Json.Serialization.Metadata.JsonTypeInfo<T>)Default.GetTypeInfo(typeof(T))!)
              ?? throw new JsonException($"Empty {typeof(T).Name}.")
            : throw new JsonException($"Missing {typeof(T).Name}.");
}

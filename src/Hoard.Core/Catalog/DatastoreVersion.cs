using System.Text.Json.Serialization;

namespace Hoard.Core.Catalog;

public sealed record Datastore(string Id, string Name, string? DefaultVersionId);

/// <summary>
/// A datastore version is data: the control plane reads what it may accept (names, character sets, features)
/// from <see cref="Capabilities"/> and never switches on the datastore's name.
/// </summary>
public sealed record DatastoreVersion(
    string Id,
    string DatastoreId,
    string DatastoreName,
    string Name,
    string Version,
    string Manager,
    bool Active,
    DatastoreCapabilities Capabilities);

public sealed record DatastoreCapabilities
{
    public int Port { get; init; }
    public string DatabaseNamePattern { get; init; } = "^[A-Za-z0-9_]+$";
    public int DatabaseNameMaxLength { get; init; } = 64;
    public string UserNamePattern { get; init; } = "^[A-Za-z0-9_]+$";
    public int UserNameMaxLength { get; init; } = 32;
    public string PasswordForbiddenPattern { get; init; } = "['\"`;\\\\]";
    public string HostPattern { get; init; } = "^[%]?[\\w(-).:]*[%]?$";
    public IReadOnlyList<string> ReservedDatabases { get; init; } = [];
    public IReadOnlyList<string> ReservedUsers { get; init; } = [];
    public IReadOnlyDictionary<string, IReadOnlyList<string>> CharacterSets { get; init; } = new Dictionary<string, IReadOnlyList<string>>();
    public bool SupportsDatabases { get; init; } = true;
    public bool SupportsUsers { get; init; } = true;
    public bool SupportsUserHost { get; init; } = true;
    public bool SupportsRoot { get; init; } = true;
    public int MinimumRamMb { get; init; } = 256;
}

public sealed record DatastoreDefinition(string Id, string Name, IReadOnlyList<DatastoreVersionDefinition> Versions);

public sealed record DatastoreVersionDefinition(
    string Id, string Name, string Version, string Manager, bool Active, bool Default, DatastoreCapabilities Capabilities);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, ReadCommentHandling = System.Text.Json.JsonCommentHandling.Skip)]
[JsonSerializable(typeof(DatastoreDefinition))]
[JsonSerializable(typeof(DatastoreCapabilities))]
public sealed partial class CatalogJson : JsonSerializerContext;

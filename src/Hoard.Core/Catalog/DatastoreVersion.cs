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

/// <remarks>Settable, not init-only: source-generated JSON would reset missing init-only properties to null.</remarks>
public sealed record DatastoreCapabilities
{
    public int Port { get; set; }
    public string DatabaseNamePattern { get; set; } = "^[A-Za-z0-9_]+$";
    public int DatabaseNameMaxLength { get; set; } = 64;
    public string UserNamePattern { get; set; } = "^[A-Za-z0-9_]+$";
    public int UserNameMaxLength { get; set; } = 32;
    public string PasswordForbiddenPattern { get; set; } = "['\"`;\\\\]";
    public string HostPattern { get; set; } = "^[%]?[\\w(-).:]*[%]?$";
    public IReadOnlyList<string> ReservedDatabases { get; set; } = [];
    public IReadOnlyList<string> ReservedUsers { get; set; } = [];
    public IReadOnlyDictionary<string, IReadOnlyList<string>> CharacterSets { get; set; } = new Dictionary<string, IReadOnlyList<string>>();
    public bool SupportsDatabases { get; set; } = true;
    public bool SupportsUsers { get; set; } = true;
    public bool SupportsUserHost { get; set; } = true;
    public bool SupportsRoot { get; set; } = true;
    public int MinimumRamMb { get; set; } = 256;
}

public sealed record DatastoreDefinition(string Id, string Name, IReadOnlyList<DatastoreVersionDefinition> Versions);

public sealed record DatastoreVersionDefinition(
    string Id, string Name, string Version, string Manager, bool Active, bool Default, DatastoreCapabilities Capabilities);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, ReadCommentHandling = System.Text.Json.JsonCommentHandling.Skip)]
[JsonSerializable(typeof(DatastoreDefinition))]
[JsonSerializable(typeof(DatastoreCapabilities))]
public sealed partial class CatalogJson : JsonSerializerContext;

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
    DatastoreCapabilities Capabilities,
    IReadOnlyList<ConfigurationParameter> Parameters);

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

    /// <summary>The guest's strategy for full backups (<see cref="Hoard.Contracts.Guest.BackupStrategies"/>); null: no backups.</summary>
    public string? BackupStrategy { get; set; }

    /// <summary>The strategy can take incremental backups (a child holding only what changed since its parent).</summary>
    public bool BackupIncremental { get; set; }

    /// <summary>
    /// The strategies a user may choose per backup (<c>"strategy"</c> in <c>POST /backups</c>) besides
    /// <see cref="BackupStrategy"/>, the default; those others take full backups only.
    /// </summary>
    public IReadOnlyList<string> BackupStrategies { get; set; } = [];

    /// <summary>The default strategy first, then the others the operator allows; empty when the version has no backups.</summary>
    [JsonIgnore]
    public IReadOnlyList<string> AllowedBackupStrategies =>
        BackupStrategy is null ? [] : [BackupStrategy, .. BackupStrategies.Where(s => s != BackupStrategy).Distinct()];

    /// <summary>
    /// The guest archives the write-ahead log continuously (it is given a WAL token at prepare), so instances can be restored
    /// to a point in time within their recovery window.
    /// </summary>
    public bool PointInTimeRecovery { get; set; }

    /// <summary>
    /// How a new replica gets its copy of the source: <see cref="ReplicaSeeds.Backup"/> (restored from a fresh physical
    /// backup of the source, then following it from the backup's position) or <see cref="ReplicaSeeds.Stream"/> (the
    /// replica's guest copies the source itself); null when the version has no replication.
    /// </summary>
    public string? ReplicaSeed { get; set; }

    /// <summary>Users (and their passwords) reach replicas through replication itself; false for Redis, whose ACLs do not.</summary>
    public bool UsersReplicate { get; set; } = true;

    /// <summary>How a boolean configuration value is written in the datastore's configuration (e.g. ON, on, yes).</summary>
    public string BooleanTrue { get; set; } = "ON";

    public string BooleanFalse { get; set; } = "OFF";
}

/// <summary>The values of <see cref="DatastoreCapabilities.ReplicaSeed"/>.</summary>
public static class ReplicaSeeds
{
    public const string Backup = "backup";
    public const string Stream = "stream";
}

/// <summary>
/// One setting users may put in a configuration group (Trove's validation rules), as the datastore version's
/// definition declares it.
/// </summary>
public sealed record ConfigurationParameter
{
    public string Name { get; set; } = "";

    /// <summary><c>integer</c>, <c>float</c>, <c>boolean</c> or <c>string</c>: the JSON type a value must have.</summary>
    public string Type { get; set; } = "string";

    public decimal? Min { get; set; }
    public decimal? Max { get; set; }

    /// <summary>True when the server reads the setting only at start: a change waits for a restart.</summary>
    public bool RestartRequired { get; set; }

    public string? Description { get; set; }

    /// <summary>For strings: the only values accepted (compared case-insensitively), if the set is closed.</summary>
    public IReadOnlyList<string>? AllowedValues { get; set; }

    /// <summary>What an integer counts: <c>bytes</c>, <c>kB</c>, <c>MB</c> (memory; checked against the flavor),
    /// or a unit only documented (<c>ms</c>, <c>s</c>, …).</summary>
    public string? Unit { get; set; }

    /// <summary>Appended to the value when it is written to the datastore's configuration (e.g. <c>MB</c>).</summary>
    public string? Suffix { get; set; }

    /// <summary>For memory settings: the largest share of the flavor's RAM a value may take.</summary>
    public double? MaxRamFraction { get; set; }
}

public sealed record DatastoreDefinition(string Id, string Name, IReadOnlyList<DatastoreVersionDefinition> Versions);

public sealed record DatastoreVersionDefinition(
    string Id, string Name, string Version, string Manager, bool Active, bool Default, DatastoreCapabilities Capabilities,
    IReadOnlyList<ConfigurationParameter>? Parameters = null);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, ReadCommentHandling = System.Text.Json.JsonCommentHandling.Skip)]
[JsonSerializable(typeof(DatastoreDefinition))]
[JsonSerializable(typeof(DatastoreCapabilities))]
[JsonSerializable(typeof(IReadOnlyList<ConfigurationParameter>))]
public sealed partial class CatalogJson : JsonSerializerContext;

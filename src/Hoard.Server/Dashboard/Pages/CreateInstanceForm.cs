using System.Text.Json.Nodes;

namespace Hoard.Server.Dashboard.Pages;

/// <summary>
/// The create form's fields, and the Trove create request they make. Nothing is checked here: the API validates the request
/// and its fault is shown.
/// </summary>
internal sealed class CreateInstanceForm
{
    public string Name { get; set; } = "";
    public string Datastore { get; set; } = "";
    public string Version { get; set; } = "";
    public string Flavor { get; set; } = "";
    public int VolumeSize { get; set; } = 1;

    /// <summary>Database names, separated by commas or spaces.</summary>
    public string Databases { get; set; } = "";

    public List<NewUser> Users { get; } = [];
    public string Configuration { get; set; } = "";
    public InstanceSource Source { get; set; } = InstanceSource.Empty;
    public string ReplicaOf { get; set; } = "";
    public string Backup { get; set; } = "";
    public string PointInTimeInstance { get; set; } = "";

    /// <summary>UTC, as <c>2026-11-30T23:10:05Z</c>.</summary>
    public string RestoreTime { get; set; } = "";

    public JsonObject ToRequest()
    {
        var instance = new JsonObject { ["name"] = Name };
        if (Source == InstanceSource.ReplicaOf)
        {
            // A replica takes its flavor, volume, datastore, databases and users from its source.
            instance["replica_of"] = ReplicaOf;
            return new JsonObject { ["instance"] = instance };
        }

        instance["flavorRef"] = Flavor;
        instance["volume"] = new JsonObject { ["size"] = VolumeSize };
        if (Datastore.Length > 0)
        {
            instance["datastore"] = new JsonObject { ["type"] = Datastore, ["version"] = Version.Length > 0 ? Version : null };
        }

        var databases = DatabaseNames();
        if (databases.Count > 0)
        {
            instance["databases"] = new JsonArray([.. databases.Select(d => (JsonNode)new JsonObject { ["name"] = d })]);
        }

        var users = Users.Where(u => u.Name.Length > 0).ToList();
        if (users.Count > 0)
        {
            instance["users"] = new JsonArray([.. users.Select(u => (JsonNode)u.ToRequest(databases))]);
        }

        if (Configuration.Length > 0)
        {
            instance["configuration"] = Configuration;
        }

        if (RestorePoint() is { } restorePoint)
        {
            instance["restorePoint"] = restorePoint;
        }

        return new JsonObject { ["instance"] = instance };
    }

    private JsonObject? RestorePoint() => Source switch
    {
        InstanceSource.Backup => new JsonObject { ["backupRef"] = Backup },
        InstanceSource.PointInTime => new JsonObject { ["instance"] = PointInTimeInstance, ["restore_time"] = RestoreTime },
        _ => null,
    };

    private List<string> DatabaseNames() =>
        [.. Databases.Split([',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
}

using System.Text.Json;
using Hoard.Contracts;
using Hoard.Contracts.Guest;

namespace Hoard.Guest.Datastores;

/// <summary>
/// The instance's role in a replication set, kept in <c>etc/replication.json</c> (mode 0600: a replica's file holds its
/// source's replication password) so a restarted guest keeps its role. No file: a standalone instance, which reports no
/// replication state at all.
/// </summary>
/// <param name="Role">A <see cref="ReplicationRoles"/> value.</param>
/// <param name="Source">A replica: the source it follows.</param>
/// <param name="Demoted">A source that was demoted for a switchover and refuses writes until promoted or attached.</param>
/// <param name="Synchronous">A source whose set is synchronous (the last <c>get_replica_context</c> said so): its commits
/// wait for a replica.</param>
internal sealed record ReplicationState(string Role, ReplicaContext? Source = null, bool Demoted = false, bool Synchronous = false)
{
    public const string FileName = "replication.json";

    public static string PathIn(InstancePaths paths) => Path.Combine(paths.Etc, FileName);

    /// <summary>Null when the instance never took part in replication.</summary>
    public static ReplicationState? Load(InstancePaths paths)
    {
        var path = PathIn(paths);
        if (!File.Exists(path))
            return null;
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        var root = document.RootElement;
        var role = root.GetProperty("role").GetString() ?? throw new InvalidDataException($"{path} names no role.");
        var source = root.TryGetProperty("source", out var s) && s.ValueKind == JsonValueKind.Object ? HoardJson.FromElement<ReplicaContext>(s) : null;
        var demoted = root.TryGetProperty("demoted", out var d) && d.ValueKind == JsonValueKind.True;
        var synchronous = root.TryGetProperty("synchronous", out var y) && y.ValueKind == JsonValueKind.True;
        return new ReplicationState(role, source, demoted, synchronous);
    }

    public void Save(InstancePaths paths)
    {
        var json = new System.Text.Json.Nodes.JsonObject
        {
            ["role"] = Role,
            ["source"] = Source is null ? null : System.Text.Json.Nodes.JsonNode.Parse(HoardJson.ToElement(Source).GetRawText()),
            ["demoted"] = Demoted,
            ["synchronous"] = Synchronous,
        };
        SecretFile.Write(PathIn(paths), json.ToJsonString() + "\n");
    }

    public static ReplicationState AsSource() => new(ReplicationRoles.Source);

    public static ReplicationState AsReplicaOf(ReplicaContext source) => new(ReplicationRoles.Replica, source);
}

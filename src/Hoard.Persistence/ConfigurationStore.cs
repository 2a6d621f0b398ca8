using System.Text.Json.Nodes;
using Dapper;
using Hoard.Core.Configurations;

namespace Hoard.Persistence;

/// <summary>Configuration groups and which instances use them.</summary>
public sealed class ConfigurationStore(StateDb db, TimeProvider time)
{
    private const string Columns = "id, project_id, name, description, datastore_version_id, \"values\", created, updated";

    public async Task InsertAsync(ConfigurationGroup group, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(
            $"INSERT INTO configurations ({Columns}) VALUES (@Id, @ProjectId, @Name, @Description, @DatastoreVersionId, @Values, @Created, @Updated)",
            new
            {
                group.Id, group.ProjectId, group.Name, group.Description, group.DatastoreVersionId, Values = group.Values.ToJsonString(),
                Created = Ts.Of(group.Created), Updated = Ts.Of(group.Updated),
            });
    }

    /// <summary>A live group; with <paramref name="projectId"/>, only that project's.</summary>
    public async Task<ConfigurationGroup?> GetAsync(string id, string? projectId, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<Row>(
            $"SELECT {Columns} FROM configurations WHERE id = @id AND deleted = 0" + (projectId is null ? "" : " AND project_id = @projectId"),
            new { id, projectId });
        return row?.ToGroup();
    }

    /// <summary>A project's live groups, newest first, starting after <paramref name="marker"/>.</summary>
    public async Task<IReadOnlyList<ConfigurationGroup>> ListAsync(string projectId, int limit, string? marker, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var sql = $"SELECT {Columns} FROM configurations WHERE deleted = 0 AND project_id = @projectId" +
                  (marker is null ? "" : " AND (created, id) < (SELECT created, id FROM configurations WHERE id = @marker)") +
                  " ORDER BY created DESC, id DESC LIMIT @limit";
        var rows = await connection.QueryAsync<Row>(sql, new { projectId, marker, limit });
        return [.. rows.Select(r => r.ToGroup())];
    }

    /// <summary>Replace name, description and values; false when the group is gone.</summary>
    public async Task<bool> UpdateAsync(string id, string name, string? description, JsonObject values, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(
            "UPDATE configurations SET name = @name, description = @description, \"values\" = @values, updated = @now " +
            "WHERE id = @id AND deleted = 0",
            new { id, name, description, values = values.ToJsonString(), now = Ts.Of(time.GetUtcNow()) }) > 0;
    }

    /// <summary>Delete the group unless an instance uses it; the check and the change are one statement.</summary>
    public async Task<bool> TryDeleteAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        // On PostgreSQL an attach could commit between this statement's look at the instances and its change.
        await db.LockAsync(connection, tx, LockKey(id), cancellationToken);
        var deleted = await connection.ExecuteAsync(
            "UPDATE configurations SET deleted = 1, deleted_at = @now, updated = @now WHERE id = @id AND deleted = 0 " +
            "AND NOT EXISTS (SELECT 1 FROM instances i WHERE i.configuration_id = configurations.id AND i.deleted = 0)",
            new { id, now = Ts.Of(time.GetUtcNow()) }, tx) > 0;
        await tx.CommitAsync(cancellationToken);
        return deleted;
    }

    /// <summary>What <see cref="StateDb.LockAsync"/> takes around deleting a group and attaching it to an instance.</summary>
    internal static string LockKey(string configurationId) => "configuration " + configurationId;

    /// <summary>The live instances a group is attached to, oldest first, starting after <paramref name="marker"/>.</summary>
    public async Task<IReadOnlyList<(string Id, string Name)>> ListInstancesAsync(string id, int limit, string? marker,
        CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var sql = "SELECT id, name FROM instances WHERE configuration_id = @id AND deleted = 0" +
                  (marker is null ? "" : " AND (created, id) > (SELECT created, id FROM instances WHERE id = @marker)") +
                  " ORDER BY created, id LIMIT @limit";
        return [.. await connection.QueryAsync<(string, string)>(sql, new { id, marker, limit })];
    }

    public async Task<int> CountInstancesAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<int>(
            "SELECT COUNT(*) FROM instances WHERE configuration_id = @id AND deleted = 0", new { id });
    }

    private sealed class Row
    {
        public string Id { get; set; } = "";
        public string ProjectId { get; set; } = "";
        public string Name { get; set; } = "";
        public string? Description { get; set; }
        public string DatastoreVersionId { get; set; } = "";
        public string Values { get; set; } = "{}";
        public string Created { get; set; } = "";
        public string Updated { get; set; } = "";

        public ConfigurationGroup ToGroup() => new(Id, ProjectId, Name, Description, DatastoreVersionId,
            JsonNode.Parse(Values) as JsonObject ?? [], Parse(Created), Parse(Updated));

        private static DateTimeOffset Parse(string value) =>
            DateTimeOffset.Parse(value, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal);
    }
}

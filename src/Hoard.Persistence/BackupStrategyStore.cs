using Dapper;
using Hoard.Core.Backups;

namespace Hoard.Persistence;

/// <summary>Backup strategies, one per project and one per instance at most.</summary>
public sealed class BackupStrategyStore(StateDb db, TimeProvider time)
{
    private const string Columns = "project_id, instance_id, backend, swift_container, created, updated";

    /// <summary>The strategies of <paramref name="projectId"/> (all projects when null), of one instance when <paramref name="instanceId"/> is given.</summary>
    public async Task<IReadOnlyList<BackupStrategy>> ListAsync(string? projectId, string? instanceId, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return (await connection.QueryAsync<BackupStrategy>(
            $"SELECT {Columns} FROM backup_strategies WHERE (@projectId IS NULL OR project_id = @projectId) " +
            "AND (@instanceId IS NULL OR instance_id = @instanceId) ORDER BY project_id, instance_id", new { projectId, instanceId })).AsList();
    }

    /// <summary>The container for a new backup of <paramref name="instanceId"/>: its instance's strategy, else its project's, else null.</summary>
    public async Task<string?> FindContainerAsync(string projectId, string instanceId, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.QueryFirstOrDefaultAsync<string>(
            "SELECT swift_container FROM backup_strategies WHERE project_id = @projectId AND instance_id IN (@instanceId, '') " +
            "ORDER BY instance_id DESC LIMIT 1", new { projectId, instanceId });
    }

    /// <summary>Creates the strategy of the project or instance, or replaces its container.</summary>
    public async Task<BackupStrategy> PutAsync(string projectId, string instanceId, string backend, string swiftContainer,
        CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var now = Ts.Of(time.GetUtcNow());
        return await connection.QuerySingleAsync<BackupStrategy>(
            $"INSERT INTO backup_strategies ({Columns}) VALUES (@projectId, @instanceId, @backend, @swiftContainer, @now, @now) " +
            "ON CONFLICT (project_id, instance_id) DO UPDATE SET backend = excluded.backend, swift_container = excluded.swift_container, " +
            $"updated = excluded.updated RETURNING {Columns}", new { projectId, instanceId, backend, swiftContainer, now });
    }

    /// <summary>Removes the strategy of the project (<paramref name="instanceId"/> empty) or of one instance; true when there was one.</summary>
    public async Task<bool> DeleteAsync(string projectId, string instanceId, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync("DELETE FROM backup_strategies WHERE project_id = @projectId AND instance_id = @instanceId",
            new { projectId, instanceId }) > 0;
    }
}

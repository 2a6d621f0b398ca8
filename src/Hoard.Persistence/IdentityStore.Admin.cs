using System.Data.Common;
using Dapper;

namespace Hoard.Persistence;

/// <summary>
/// The identity admin API's reads and writes. Every change that takes a right away deletes the tokens that carried it,
/// in the same transaction, so the next request with one of them is answered 401.
/// </summary>
public sealed partial class IdentityStore
{
    private const string ProjectColumns = "id AS Id, name AS Name, domain_id AS DomainId, enabled AS Enabled, description AS Description";
    private const string UserColumns = "id AS Id, name AS Name, domain_id AS DomainId, enabled AS Enabled, default_project_id AS DefaultProjectId";

    /// <summary>Projects by optional name; with <paramref name="memberId"/>, only those where that user has a role.</summary>
    public async Task<IReadOnlyList<ProjectEntry>> ListProjectEntriesAsync(string? name, string? memberId, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return [.. (await connection.QueryAsync<ProjectRow>(
            $"SELECT {ProjectColumns} FROM projects WHERE (@name IS NULL OR name = @name) AND (@memberId IS NULL OR id IN " +
            "(SELECT project_id FROM role_assignments WHERE user_id = @memberId)) ORDER BY name", new { name, memberId })).Select(r => r.ToEntry())];
    }

    public async Task<ProjectEntry?> FindProjectEntryAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return (await connection.QuerySingleOrDefaultAsync<ProjectRow>($"SELECT {ProjectColumns} FROM projects WHERE id = @id", new { id }))?.ToEntry();
    }

    /// <summary>False when the domain already has a project of that name.</summary>
    public async Task<bool> CreateProjectEntryAsync(ProjectEntry project, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(
            "INSERT INTO projects (id, name, domain_id, enabled, description, created) " +
            "VALUES (@Id, @Name, @DomainId, @Enabled, @Description, @now) ON CONFLICT DO NOTHING",
            new
            {
                project.Id, project.Name, project.DomainId, Enabled = project.Enabled ? 1 : 0, project.Description,
                now = Ts.Of(time.GetUtcNow()),
            }) == 1;
    }

    /// <summary>False when the new name is taken. Disabling a project revokes every token scoped to it.</summary>
    public async Task<bool> UpdateProjectEntryAsync(ProjectEntry project, CancellationToken cancellationToken)
    {
        using var change = db.IdentityChange();
        await using var connection = await db.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var taken = await connection.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM projects WHERE domain_id = @DomainId AND name = @Name AND id <> @Id", project, transaction);
        if (taken > 0)
        {
            return false;
        }

        try
        {
            await connection.ExecuteAsync(
                "UPDATE projects SET name = @Name, enabled = @Enabled, description = @Description WHERE id = @Id",
                new { project.Id, project.Name, Enabled = project.Enabled ? 1 : 0, project.Description }, transaction);
        }
        catch (DbException e) when (StateDb.IsUniqueViolation(e))
        {
            // Another request took the name since the check (PostgreSQL runs such transactions side by side).
            return false;
        }

        if (!project.Enabled)
        {
            await connection.ExecuteAsync("DELETE FROM tokens WHERE project_id = @Id", project, transaction);
        }

        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>
    /// Deletes the project, its role assignments, every token scoped to it and every application credential for it; false
    /// if there was none.
    /// </summary>
    public async Task<bool> DeleteProjectAsync(string id, CancellationToken cancellationToken)
    {
        using var change = db.IdentityChange();
        await using var connection = await db.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync("DELETE FROM tokens WHERE project_id = @id", new { id }, transaction);
        await connection.ExecuteAsync("DELETE FROM application_credentials WHERE project_id = @id", new { id }, transaction);
        var deleted = await connection.ExecuteAsync("DELETE FROM projects WHERE id = @id", new { id }, transaction);
        await transaction.CommitAsync(cancellationToken);
        return deleted == 1;
    }

    public async Task<IReadOnlyList<UserEntry>> ListUserEntriesAsync(string? name, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return [.. (await connection.QueryAsync<UserRow>(
            $"SELECT {UserColumns} FROM users WHERE @name IS NULL OR name = @name ORDER BY name", new { name })).Select(r => r.ToEntry())];
    }

    public async Task<UserEntry?> FindUserEntryAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return (await connection.QuerySingleOrDefaultAsync<UserRow>($"SELECT {UserColumns} FROM users WHERE id = @id", new { id }))?.ToEntry();
    }

    /// <summary>False when the domain already has a user of that name.</summary>
    public async Task<bool> CreateUserEntryAsync(UserEntry user, string passwordHash, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(
            "INSERT INTO users (id, name, domain_id, password_hash, enabled, default_project_id, created) " +
            "VALUES (@Id, @Name, @DomainId, @passwordHash, @Enabled, @DefaultProjectId, @now) ON CONFLICT DO NOTHING",
            new
            {
                user.Id, user.Name, user.DomainId, passwordHash, Enabled = user.Enabled ? 1 : 0, user.DefaultProjectId,
                now = Ts.Of(time.GetUtcNow()),
            }) == 1;
    }

    /// <summary>
    /// False when the new name is taken. A new password (<paramref name="passwordHash"/> not null) or disabling the user
    /// revokes all of the user's tokens.
    /// </summary>
    public async Task<bool> UpdateUserEntryAsync(UserEntry user, string? passwordHash, CancellationToken cancellationToken)
    {
        using var change = db.IdentityChange();
        await using var connection = await db.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var taken = await connection.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM users WHERE domain_id = @DomainId AND name = @Name AND id <> @Id", user, transaction);
        if (taken > 0)
        {
            return false;
        }

        try
        {
            await connection.ExecuteAsync(
                "UPDATE users SET name = @Name, enabled = @Enabled, default_project_id = @DefaultProjectId, " +
                "password_hash = COALESCE(@passwordHash, password_hash) WHERE id = @Id",
                new { user.Id, user.Name, Enabled = user.Enabled ? 1 : 0, user.DefaultProjectId, passwordHash }, transaction);
        }
        catch (DbException e) when (StateDb.IsUniqueViolation(e))
        {
            // Another request took the name since the check (PostgreSQL runs such transactions side by side).
            return false;
        }

        if (passwordHash is not null || !user.Enabled)
        {
            await connection.ExecuteAsync("DELETE FROM tokens WHERE user_id = @Id", user, transaction);
        }

        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>Deletes the user with their role assignments and tokens (both cascade); false if there was none.</summary>
    public async Task<bool> DeleteUserAsync(string id, CancellationToken cancellationToken)
    {
        using var change = db.IdentityChange();
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync("DELETE FROM users WHERE id = @id", new { id }) == 1;
    }

    /// <summary>
    /// Removes the role and revokes the user's tokens and application credentials for that project (as Keystone deletes
    /// a user's application credentials when an assignment on their project goes); false if it was not assigned.
    /// </summary>
    public async Task<bool> RemoveRoleAsync(string userId, string projectId, string role, CancellationToken cancellationToken)
    {
        using var change = db.IdentityChange();
        await using var connection = await db.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var removed = await connection.ExecuteAsync(
            "DELETE FROM role_assignments WHERE user_id = @userId AND project_id = @projectId AND role = @role",
            new { userId, projectId, role }, transaction);
        await connection.ExecuteAsync(
            "DELETE FROM tokens WHERE user_id = @userId AND project_id = @projectId", new { userId, projectId }, transaction);
        if (removed == 1)
        {
            await connection.ExecuteAsync(
                "DELETE FROM application_credentials WHERE user_id = @userId AND project_id = @projectId", new { userId, projectId }, transaction);
        }

        await transaction.CommitAsync(cancellationToken);
        return removed == 1;
    }

    public async Task<IReadOnlyList<RoleAssignment>> ListRoleAssignmentsAsync(string? userId, string? projectId, string? role,
        CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return [.. (await connection.QueryAsync<AssignmentRow>(
            "SELECT r.user_id AS UserId, u.name AS UserName, r.project_id AS ProjectId, p.name AS ProjectName, r.role AS Role " +
            "FROM role_assignments r JOIN users u ON u.id = r.user_id JOIN projects p ON p.id = r.project_id " +
            "WHERE (@userId IS NULL OR r.user_id = @userId) AND (@projectId IS NULL OR r.project_id = @projectId) " +
            "AND (@role IS NULL OR r.role = @role) ORDER BY p.name, u.name, r.role", new { userId, projectId, role }))
            .Select(r => new RoleAssignment(r.UserId, r.UserName, r.ProjectId, r.ProjectName, r.Role))];
    }

    // SQLite (and PostgreSQL's BIGINT) hand back integers and untyped NULLs, which Dapper cannot bind to the records' constructors.
    private sealed class ProjectRow
    {
        public string Id { get; set; } = "";
        public string Name { get; set; } = "";
        public string DomainId { get; set; } = "";
        public long Enabled { get; set; }
        public string Description { get; set; } = "";

        public ProjectEntry ToEntry() => new(Id, Name, DomainId, Enabled != 0, Description);
    }

    private sealed class UserRow
    {
        public string Id { get; set; } = "";
        public string Name { get; set; } = "";
        public string DomainId { get; set; } = "";
        public long Enabled { get; set; }
        public string? DefaultProjectId { get; set; }

        public UserEntry ToEntry() => new(Id, Name, DomainId, Enabled != 0, DefaultProjectId);
    }

    private sealed class AssignmentRow
    {
        public string UserId { get; set; } = "";
        public string UserName { get; set; } = "";
        public string ProjectId { get; set; } = "";
        public string ProjectName { get; set; } = "";
        public string Role { get; set; } = "";
    }
}

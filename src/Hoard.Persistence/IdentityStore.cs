using Dapper;
using Hoard.Core.Identity;

namespace Hoard.Persistence;

/// <summary>Projects, users, role assignments and tokens of the built-in identity service.</summary>
public sealed partial class IdentityStore(StateDb db, TimeProvider time)
{
    /// <summary>
    /// Moves after every change through this process's stores that can take a token's right away or change its roles
    /// (<see cref="StateDb.IdentityChanges"/>): a cached validation read before it moved is stale.
    /// </summary>
    public long Changes => db.IdentityChanges;

    public async Task<Project?> FindProjectAsync(string domainId, string? id, string? name, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<(string Id, string Name, string DomainId, long Enabled)>(
            "SELECT id, name, domain_id, enabled FROM projects WHERE (@id IS NOT NULL AND id = @id) OR " +
            "(@id IS NULL AND name = @name AND domain_id = @domainId)", new { id, name, domainId });
        return row.Id is null ? null : new Project(row.Id, row.Name, row.DomainId, row.Enabled != 0);
    }

    public async Task<UserAccount?> FindUserAsync(string domainId, string? id, string? name, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<(string Id, string Name, string DomainId, string PasswordHash, long Enabled)>(
            "SELECT id, name, domain_id, password_hash, enabled FROM users WHERE (@id IS NOT NULL AND id = @id) OR " +
            "(@id IS NULL AND name = @name AND domain_id = @domainId)", new { id, name, domainId });
        return row.Id is null ? null : new UserAccount(row.Id, row.Name, row.DomainId, row.PasswordHash, row.Enabled != 0);
    }

    public async Task CreateProjectAsync(Project project, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(
            "INSERT INTO projects (id, name, domain_id, enabled, created) VALUES (@Id, @Name, @DomainId, @Enabled, @now)",
            new { project.Id, project.Name, project.DomainId, Enabled = project.Enabled ? 1 : 0, now = Ts.Of(time.GetUtcNow()) });
    }

    public async Task CreateUserAsync(UserAccount user, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(
            "INSERT INTO users (id, name, domain_id, password_hash, enabled, created) VALUES (@Id, @Name, @DomainId, @PasswordHash, @Enabled, @now)",
            new { user.Id, user.Name, user.DomainId, user.PasswordHash, Enabled = user.Enabled ? 1 : 0, now = Ts.Of(time.GetUtcNow()) });
    }

    public async Task AssignRoleAsync(string userId, string projectId, string role, CancellationToken cancellationToken)
    {
        using var change = db.IdentityChange();
        await using var connection = await db.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(
            "INSERT INTO role_assignments (user_id, project_id, role) VALUES (@userId, @projectId, @role) ON CONFLICT DO NOTHING",
            new { userId, projectId, role });
    }

    public async Task<IReadOnlyList<string>> GetRolesAsync(string userId, string projectId, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return [.. await connection.QueryAsync<string>(
            "SELECT role FROM role_assignments WHERE user_id = @userId AND project_id = @projectId ORDER BY role",
            new { userId, projectId })];
    }

    /// <summary>Stores a token's hash; <paramref name="applicationCredentialId"/> names the credential it was issued from, if any.</summary>
    public async Task StoreTokenAsync(string hash, string userId, string projectId, DateTimeOffset issued, DateTimeOffset expires,
        CancellationToken cancellationToken, string? applicationCredentialId = null)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(
            "DELETE FROM tokens WHERE expires < @now; " +
            "INSERT INTO tokens (hash, user_id, project_id, issued, expires, application_credential_id) " +
            "VALUES (@hash, @userId, @projectId, @issued, @expires, @applicationCredentialId)",
            new
            {
                hash, userId, projectId, issued = Ts.Of(issued), expires = Ts.Of(expires), applicationCredentialId,
                now = Ts.Of(time.GetUtcNow()),
            });
    }

    /// <summary>
    /// The token's subject, if the token exists, has not expired, and its user and project are enabled. A token issued
    /// from an application credential also needs the credential, unexpired, and carries only the credential's roles that
    /// the user still holds.
    /// </summary>
    public async Task<TokenInfo?> FindTokenAsync(string hash, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<TokenRow>(
            "SELECT t.user_id AS UserId, u.name AS UserName, t.project_id AS ProjectId, p.name AS ProjectName, t.issued AS Issued, " +
            "t.expires AS Expires, t.application_credential_id AS CredentialId, a.name AS CredentialName, " +
            "a.unrestricted AS CredentialUnrestricted, a.roles AS CredentialRoles FROM tokens t " +
            "JOIN users u ON u.id = t.user_id AND u.enabled = 1 JOIN projects p ON p.id = t.project_id AND p.enabled = 1 " +
            "LEFT JOIN application_credentials a ON a.id = t.application_credential_id " +
            "WHERE t.hash = @hash AND t.expires > @now AND (t.application_credential_id IS NULL OR " +
            "(a.id IS NOT NULL AND (a.expires_at IS NULL OR a.expires_at > @now)))", new { hash, now = Ts.Of(time.GetUtcNow()) });
        if (row is null)
        {
            return null;
        }

        IReadOnlyList<string> roles = [.. await connection.QueryAsync<string>(
            "SELECT role FROM role_assignments WHERE user_id = @UserId AND project_id = @ProjectId ORDER BY role", new { row.UserId, row.ProjectId })];
        ApplicationCredentialRef? credential = null;
        if (row.CredentialId is not null)
        {
            var held = RoleNames.WithImplied(roles);
            roles = [.. ApplicationCredentialStore.ParseRoles(row.CredentialRoles ?? "[]").Where(held.Contains).Order(StringComparer.Ordinal)];
            if (roles.Count == 0)
            {
                return null;
            }

            credential = new ApplicationCredentialRef(row.CredentialId, row.CredentialName ?? "", row.CredentialUnrestricted != 0);
        }

        return new TokenInfo(row.UserId, row.UserName, row.ProjectId, row.ProjectName, roles, Ts.Parse(row.Issued), Ts.Parse(row.Expires))
        {
            ApplicationCredential = credential,
        };
    }

    public async Task RevokeTokenAsync(string hash, CancellationToken cancellationToken)
    {
        using var change = db.IdentityChange();
        await using var connection = await db.OpenAsync(cancellationToken);
        await connection.ExecuteAsync("DELETE FROM tokens WHERE hash = @hash", new { hash });
    }

    public async Task<IReadOnlyList<Project>> ListProjectsForUserAsync(string userId, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<(string Id, string Name, string DomainId, long Enabled)>(
            "SELECT DISTINCT p.id, p.name, p.domain_id, p.enabled FROM projects p JOIN role_assignments r ON r.project_id = p.id " +
            "WHERE r.user_id = @userId ORDER BY p.name", new { userId });
        return [.. rows.Select(r => new Project(r.Id, r.Name, r.DomainId, r.Enabled != 0))];
    }

    public async Task<bool> AnyUserAsync(CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM users") > 0;
    }

    private sealed class TokenRow
    {
        public string UserId { get; set; } = "";
        public string UserName { get; set; } = "";
        public string ProjectId { get; set; } = "";
        public string ProjectName { get; set; } = "";
        public string Issued { get; set; } = "";
        public string Expires { get; set; } = "";
        public string? CredentialId { get; set; }
        public string? CredentialName { get; set; }
        public long CredentialUnrestricted { get; set; }
        public string? CredentialRoles { get; set; }
    }
}

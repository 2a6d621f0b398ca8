using System.Text.Json.Nodes;
using Dapper;

namespace Hoard.Persistence;

/// <summary>
/// Application credentials of the built-in identity service. Deleting one deletes the tokens issued from it in the same
/// transaction, so the next request with one of them is answered 401.
/// </summary>
public sealed class ApplicationCredentialStore(StateDb db, TimeProvider time)
{
    private const string Columns =
        "id AS Id, user_id AS UserId, project_id AS ProjectId, name AS Name, description AS Description, roles AS Roles, " +
        "unrestricted AS Unrestricted, expires_at AS ExpiresAt, secret_hash AS SecretHash";

    /// <summary>False when the user already has an application credential of that name.</summary>
    public async Task<bool> CreateAsync(ApplicationCredentialEntry credential, string secretHash, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(
            "INSERT INTO application_credentials (id, user_id, project_id, name, description, secret_hash, roles, unrestricted, expires_at, created) " +
            "VALUES (@Id, @UserId, @ProjectId, @Name, @Description, @secretHash, @roles, @unrestricted, @expires, @now) " +
            "ON CONFLICT (user_id, name) DO NOTHING",
            new
            {
                credential.Id, credential.UserId, credential.ProjectId, credential.Name, credential.Description, secretHash,
                roles = RolesText(credential.Roles), unrestricted = credential.Unrestricted ? 1 : 0,
                expires = Ts.Of(credential.ExpiresAt), now = Ts.Of(time.GetUtcNow()),
            }) == 1;
    }

    public async Task<IReadOnlyList<ApplicationCredentialEntry>> ListAsync(string userId, string? name, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return [.. (await connection.QueryAsync<Row>(
            $"SELECT {Columns} FROM application_credentials WHERE user_id = @userId AND (@name IS NULL OR name = @name) ORDER BY name",
            new { userId, name })).Select(r => r.ToEntry())];
    }

    public async Task<ApplicationCredentialEntry?> FindAsync(string userId, string id, CancellationToken cancellationToken) =>
        (await FindRowAsync("user_id = @userId AND id = @id", new { userId, id }, cancellationToken))?.ToEntry();

    /// <summary>
    /// The credential and its secret's hash, for a login by id, or by name and its user's id; null if there is none.
    /// </summary>
    public async Task<(ApplicationCredentialEntry Credential, string SecretHash)?> FindForLoginAsync(string? id, string? userId, string? name,
        CancellationToken cancellationToken)
    {
        var row = id is not null
            ? await FindRowAsync("id = @id", new { id }, cancellationToken)
            : userId is not null && name is not null
                ? await FindRowAsync("user_id = @userId AND name = @name", new { userId, name }, cancellationToken)
                : null;
        return row is null ? null : (row.ToEntry(), row.SecretHash);
    }

    /// <summary>Deletes the credential and every token issued from it; false if the user has no such credential.</summary>
    public async Task<bool> DeleteAsync(string userId, string id, CancellationToken cancellationToken)
    {
        using var change = db.IdentityChange();
        await using var connection = await db.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var deleted = await connection.ExecuteAsync(
            "DELETE FROM application_credentials WHERE user_id = @userId AND id = @id", new { userId, id }, transaction);
        await connection.ExecuteAsync("DELETE FROM tokens WHERE application_credential_id = @id", new { id }, transaction);
        await transaction.CommitAsync(cancellationToken);
        return deleted == 1;
    }

    /// <summary>The roles column: a JSON array of role names, parsed here rather than in SQL so that any database can hold it.</summary>
    internal static string RolesText(IEnumerable<string> roles) => new JsonArray([.. roles.Select(r => (JsonNode)r)]).ToJsonString();

    internal static IReadOnlyList<string> ParseRoles(string text) =>
        JsonNode.Parse(text) is JsonArray roles ? [.. roles.Select(r => r?.GetValue<string>()).OfType<string>()] : [];

    private async Task<Row?> FindRowAsync(string where, object parameters, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<Row>($"SELECT {Columns} FROM application_credentials WHERE {where}", parameters);
    }

    // SQLite hands back integers and untyped NULLs, which Dapper cannot bind to the record's constructor.
    private sealed class Row
    {
        public string Id { get; set; } = "";
        public string UserId { get; set; } = "";
        public string ProjectId { get; set; } = "";
        public string Name { get; set; } = "";
        public string Description { get; set; } = "";
        public string Roles { get; set; } = "[]";
        public long Unrestricted { get; set; }
        public string? ExpiresAt { get; set; }
        public string SecretHash { get; set; } = "";

        public ApplicationCredentialEntry ToEntry() =>
            new(Id, UserId, ProjectId, Name, Description, ParseRoles(Roles), Unrestricted != 0, ExpiresAt is null ? null : Ts.Parse(ExpiresAt));
    }
}

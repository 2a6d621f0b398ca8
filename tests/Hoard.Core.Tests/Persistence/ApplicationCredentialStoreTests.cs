using Hoard.Core.Identity;
using Hoard.Persistence;
using Hoard.Tests.Shared;

namespace Hoard.Core.Tests.Persistence;

/// <summary>
/// Application credentials in a real state database (SQLite and PostgreSQL): names unique per user, and every way a credential or its
/// user's rights go away takes the tokens issued from it along.
/// </summary>
public abstract class ApplicationCredentialStoreTests(Func<Task<TestStateDb>> create) : StateDbTests(create)
{
    private static readonly CancellationToken None = CancellationToken.None;
    private IdentityStore _identity = null!;
    private ApplicationCredentialStore _credentials = null!;
    private readonly Project _project = new("p1", "team", "default", true);
    private readonly UserAccount _user = new("u1", "alice", "default", "!", true);

    protected override async Task InitializeStoresAsync()
    {
        _identity = new IdentityStore(Db, TimeProvider.System);
        _credentials = new ApplicationCredentialStore(Db, TimeProvider.System);
        await _identity.CreateProjectAsync(_project, None);
        await _identity.CreateUserAsync(_user, None);
        await _identity.AssignRoleAsync(_user.Id, _project.Id, RoleNames.Member, None);
        await _identity.AssignRoleAsync(_user.Id, _project.Id, RoleNames.Reader, None);
    }


    [StateDbFact]
    public async Task Create_List_Find_AndADuplicateNameIsRefused()
    {
        var ci = Credential("c1", "ci", [RoleNames.Reader], expires: DateTimeOffset.UtcNow.AddDays(1));
        Assert.True(await _credentials.CreateAsync(ci, "hash-1", None));
        Assert.False(await _credentials.CreateAsync(Credential("c2", "ci", [RoleNames.Member]), "hash-2", None));
        Assert.True(await _credentials.CreateAsync(Credential("c3", "deploy", [RoleNames.Member, RoleNames.Reader]), "hash-3", None));

        Assert.Equal(["ci", "deploy"], (await _credentials.ListAsync(_user.Id, null, None)).Select(c => c.Name));
        var found = Assert.Single(await _credentials.ListAsync(_user.Id, "ci", None));
        Assert.Equal([RoleNames.Reader], found.Roles);
        Assert.Equal(ci.ExpiresAt!.Value.ToUnixTimeMilliseconds(), found.ExpiresAt!.Value.ToUnixTimeMilliseconds());
        Assert.Null(await _credentials.FindAsync("someone-else", "c1", None));
        var login = await _credentials.FindForLoginAsync(null, _user.Id, "deploy", None);
        Assert.Equal(("c3", "hash-3"), (login!.Value.Credential.Id, login.Value.SecretHash));
        Assert.Equal("c1", (await _credentials.FindForLoginAsync("c1", null, null, None))!.Value.Credential.Id);
        Assert.Null(await _credentials.FindForLoginAsync(null, null, "ci", None));
    }

    [StateDbFact]
    public async Task ATokenFromACredential_CarriesOnlyItsRoles_AndGoesWithIt()
    {
        await _credentials.CreateAsync(Credential("c1", "ci", [RoleNames.Reader]), "h", None);
        await StoreTokenAsync("t-cred", "c1");
        await StoreTokenAsync("t-password", null);

        var token = await _identity.FindTokenAsync("t-cred", None);
        Assert.Equal([RoleNames.Reader], token!.Roles);
        Assert.Equal(new ApplicationCredentialRef("c1", "ci", false), token.ApplicationCredential);
        Assert.False(token.MayManageApplicationCredentials);

        Assert.True(await _credentials.DeleteAsync(_user.Id, "c1", None));
        Assert.Null(await _identity.FindTokenAsync("t-cred", None));
        Assert.NotNull(await _identity.FindTokenAsync("t-password", None));
        Assert.False(await _credentials.DeleteAsync(_user.Id, "c1", None));
    }

    [StateDbFact]
    public async Task RemovingARoleOnTheProject_DeletesTheUsersCredentialsThere()
    {
        await _credentials.CreateAsync(Credential("c1", "ci", [RoleNames.Reader]), "h", None);
        await StoreTokenAsync("t-cred", "c1");

        await _identity.RemoveRoleAsync(_user.Id, _project.Id, RoleNames.Member, None);

        Assert.Empty(await _credentials.ListAsync(_user.Id, null, None));
        Assert.Null(await _identity.FindTokenAsync("t-cred", None));
    }

    [StateDbFact]
    public async Task DeletingTheUserOrTheProject_DeletesTheirCredentials()
    {
        await _credentials.CreateAsync(Credential("c1", "ci", [RoleNames.Reader]), "h", None);
        await _identity.DeleteProjectAsync(_project.Id, None);
        Assert.Empty(await _credentials.ListAsync(_user.Id, null, None));

        await _identity.CreateProjectAsync(_project, None);
        await _credentials.CreateAsync(Credential("c2", "ci", [RoleNames.Reader]), "h", None);
        await _identity.DeleteUserAsync(_user.Id, None);
        Assert.Empty(await _credentials.ListAsync(_user.Id, null, None));
    }

    [StateDbFact]
    public async Task AnExpiredCredentialsTokens_AreRefused()
    {
        await _credentials.CreateAsync(Credential("c1", "ci", [RoleNames.Reader], expires: DateTimeOffset.UtcNow.AddMilliseconds(300)), "h", None);
        await StoreTokenAsync("t-cred", "c1");
        Assert.NotNull(await _identity.FindTokenAsync("t-cred", None));

        await Task.Delay(400);

        Assert.Null(await _identity.FindTokenAsync("t-cred", None));
    }

    private ApplicationCredentialEntry Credential(string id, string name, IReadOnlyList<string> roles, DateTimeOffset? expires = null) =>
        new(id, _user.Id, _project.Id, name, "", roles, Unrestricted: false, expires);

    private Task StoreTokenAsync(string hash, string? credentialId) =>
        _identity.StoreTokenAsync(hash, _user.Id, _project.Id, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddHours(1), None, credentialId);
}

public sealed class SqliteApplicationCredentialStoreTests() : ApplicationCredentialStoreTests(TestStateDb.SqliteAsync);

[Collection(PostgreSqlStateCollection.Name)]
public sealed class PostgreSqlApplicationCredentialStoreTests(PostgreSqlStateServer server)
    : ApplicationCredentialStoreTests(() => TestStateDb.PostgreSqlAsync(server))
{
    public static string? SkipReason => PostgreSqlStateServer.SkipReason;
}

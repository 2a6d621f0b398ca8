using Hoard.Core.Identity;
using Hoard.Core.Tests.Backups;
using Hoard.Persistence;
using Hoard.Tests.Shared;

namespace Hoard.Core.Tests.Persistence;

/// <summary>Projects, users, roles and tokens in a real state database (SQLite and PostgreSQL).</summary>
public abstract class IdentityStoreTests(Func<Task<TestStateDb>> create) : StateDbTests(create)
{
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 6, 0, 0, TimeSpan.Zero);
    private readonly ManualTime _time = new(Start);
    private IdentityStore _identity = null!;

    protected override Task InitializeStoresAsync()
    {
        _identity = new IdentityStore(Db, _time);
        return Task.CompletedTask;
    }

    [StateDbFact]
    public async Task ProjectsAndUsers_AreFoundByIdOrByNameInTheirDomain_WithTheirEnabledFlag()
    {
        await _identity.CreateProjectAsync(new Project("p1", "demo", "default", true), CancellationToken.None);
        await _identity.CreateProjectAsync(new Project("p2", "off", "default", false), CancellationToken.None);
        await _identity.CreateUserAsync(new UserAccount("u1", "alice", "default", "hash", true), CancellationToken.None);

        Assert.Equal(new Project("p1", "demo", "default", true), await _identity.FindProjectAsync("default", null, "demo", CancellationToken.None));
        Assert.Equal(new Project("p2", "off", "default", false), await _identity.FindProjectAsync("default", "p2", null, CancellationToken.None));
        Assert.Null(await _identity.FindProjectAsync("other", null, "demo", CancellationToken.None));
        Assert.Equal(new UserAccount("u1", "alice", "default", "hash", true), await _identity.FindUserAsync("default", null, "alice", CancellationToken.None));
        Assert.True(await _identity.AnyUserAsync(CancellationToken.None));
    }

    [StateDbFact]
    public async Task Create_ATakenName_IsRefused_AndAssigningARoleTwiceKeepsOne()
    {
        Assert.True(await _identity.CreateProjectEntryAsync(new ProjectEntry("p1", "demo", "default", true, "first"), CancellationToken.None));
        Assert.False(await _identity.CreateProjectEntryAsync(new ProjectEntry("p2", "demo", "default", true, "second"), CancellationToken.None));
        Assert.True(await _identity.CreateUserEntryAsync(new UserEntry("u1", "alice", "default", true, "p1"), "hash", CancellationToken.None));
        Assert.False(await _identity.CreateUserEntryAsync(new UserEntry("u2", "alice", "default", true, null), "hash", CancellationToken.None));

        await _identity.AssignRoleAsync("u1", "p1", RoleNames.Member, CancellationToken.None);
        await _identity.AssignRoleAsync("u1", "p1", RoleNames.Member, CancellationToken.None);
        await _identity.AssignRoleAsync("u1", "p1", RoleNames.Admin, CancellationToken.None);

        Assert.Equal(["admin", "member"], await _identity.GetRolesAsync("u1", "p1", CancellationToken.None));
        Assert.Equal("first", (await _identity.FindProjectEntryAsync("p1", CancellationToken.None))!.Description);
        Assert.Equal(new UserEntry("u1", "alice", "default", true, "p1"), await _identity.FindUserEntryAsync("u1", CancellationToken.None));
        Assert.Equal(["demo"], (await _identity.ListProjectEntriesAsync(null, "u1", CancellationToken.None)).Select(p => p.Name));
    }

    [StateDbFact]
    public async Task Tokens_AreFoundUntilTheyExpire_AndDisablingTheProjectRevokesThem()
    {
        await SeedAsync();
        await _identity.StoreTokenAsync("t1", "u1", "p1", Start, Start.AddHours(1), CancellationToken.None);

        var token = (await _identity.FindTokenAsync("t1", CancellationToken.None))!;
        Assert.Equal(("u1", "alice", "p1", "demo", Start.AddHours(1)), (token.UserId, token.UserName, token.ProjectId, token.ProjectName, token.ExpiresAt));
        Assert.Equal(["member"], token.Roles);

        _time.Now = Start.AddHours(2);
        Assert.Null(await _identity.FindTokenAsync("t1", CancellationToken.None));
        await _identity.StoreTokenAsync("t2", "u1", "p1", _time.Now, _time.Now.AddHours(1), CancellationToken.None);
        Assert.NotNull(await _identity.FindTokenAsync("t2", CancellationToken.None));

        Assert.True(await _identity.UpdateProjectEntryAsync(new ProjectEntry("p1", "demo", "default", false, ""), CancellationToken.None));
        Assert.Null(await _identity.FindTokenAsync("t2", CancellationToken.None));
        Assert.False((await _identity.FindProjectEntryAsync("p1", CancellationToken.None))!.Enabled);
    }

    [StateDbFact]
    public async Task ConcurrentRenames_ToOneName_LetExactlyOneWin()
    {
        for (var round = 0; round < 5; round++)
        {
            var ids = Enumerable.Range(0, 4).Select(i => $"r{round}-{i}").ToArray();
            foreach (var id in ids)
                Assert.True(await _identity.CreateProjectEntryAsync(new ProjectEntry(id, id, "default", true, ""), CancellationToken.None));

            var renamed = await Task.WhenAll(ids.Select(id => Task.Run(() =>
                _identity.UpdateProjectEntryAsync(new ProjectEntry(id, $"taken-{round}", "default", true, ""), CancellationToken.None))));

            Assert.Single(renamed, r => r);
            Assert.Single(await _identity.ListProjectEntriesAsync($"taken-{round}", null, CancellationToken.None));
        }
    }

    [StateDbFact]
    public async Task UpdateUser_ToATakenName_ChangesNothing_AndANewPasswordRevokesTheirTokens()
    {
        await SeedAsync();
        Assert.True(await _identity.CreateUserEntryAsync(new UserEntry("u2", "bob", "default", true, null), "hash", CancellationToken.None));
        await _identity.StoreTokenAsync("t1", "u1", "p1", Start, Start.AddHours(1), CancellationToken.None);

        Assert.False(await _identity.UpdateUserEntryAsync(new UserEntry("u1", "bob", "default", true, null), null, CancellationToken.None));
        Assert.NotNull(await _identity.FindTokenAsync("t1", CancellationToken.None));
        Assert.True(await _identity.UpdateUserEntryAsync(new UserEntry("u1", "alice", "default", true, "p1"), "new-hash", CancellationToken.None));

        Assert.Null(await _identity.FindTokenAsync("t1", CancellationToken.None));
        Assert.Equal("new-hash", (await _identity.FindUserAsync("default", "u1", null, CancellationToken.None))!.PasswordHash);
    }

    [StateDbFact]
    public async Task RemovingARole_RevokesTheTokensOfThatProject_AndDeletingTheUserCascades()
    {
        await SeedAsync();
        await _identity.StoreTokenAsync("t1", "u1", "p1", Start, Start.AddHours(1), CancellationToken.None);
        Assert.Equal([new RoleAssignment("u1", "alice", "p1", "demo", "member")],
            await _identity.ListRoleAssignmentsAsync(null, "p1", null, CancellationToken.None));

        Assert.True(await _identity.RemoveRoleAsync("u1", "p1", RoleNames.Member, CancellationToken.None));
        Assert.False(await _identity.RemoveRoleAsync("u1", "p1", RoleNames.Member, CancellationToken.None));
        Assert.Null(await _identity.FindTokenAsync("t1", CancellationToken.None));

        await _identity.AssignRoleAsync("u1", "p1", RoleNames.Member, CancellationToken.None);
        Assert.True(await _identity.DeleteUserAsync("u1", CancellationToken.None));
        Assert.Empty(await _identity.ListRoleAssignmentsAsync(null, null, null, CancellationToken.None));
        Assert.True(await _identity.DeleteProjectAsync("p1", CancellationToken.None));
        Assert.False(await _identity.DeleteProjectAsync("p1", CancellationToken.None));
    }

    private async Task SeedAsync()
    {
        await _identity.CreateProjectAsync(new Project("p1", "demo", "default", true), CancellationToken.None);
        await _identity.CreateUserAsync(new UserAccount("u1", "alice", "default", "hash", true), CancellationToken.None);
        await _identity.AssignRoleAsync("u1", "p1", RoleNames.Member, CancellationToken.None);
    }
}

public sealed class SqliteIdentityStoreTests() : IdentityStoreTests(TestStateDb.SqliteAsync);

[Collection(PostgreSqlStateCollection.Name)]
public sealed class PostgreSqlIdentityStoreTests(PostgreSqlStateServer server) : IdentityStoreTests(() => TestStateDb.PostgreSqlAsync(server))
{
    public static string? SkipReason => PostgreSqlStateServer.SkipReason;
}

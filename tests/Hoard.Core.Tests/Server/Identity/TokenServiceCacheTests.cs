using Hoard.Core.Identity;
using Hoard.Core.Tests.Backups;
using Hoard.Core.Tests.Persistence;
using Hoard.Persistence;
using Hoard.Server.Hosting;
using Hoard.Server.Identity;
using Microsoft.Extensions.Options;

namespace Hoard.Core.Tests.Server.Identity;

/// <summary>
/// The built-in identity's cache of validated tokens, on a real SQLite state DB: whatever this process revokes is refused
/// by the next validation; what another process sharing the state DB revokes, within <c>TokenCacheSeconds</c>; never past
/// the token's expiry; refusals are not kept.
/// </summary>
public sealed class TokenServiceCacheTests : IAsyncLifetime
{
    private const double CacheSeconds = 2;
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 6, 0, 0, TimeSpan.Zero);
    private static readonly UserAccount Alice = new("u1", "alice", "default", "hash", true);
    private static readonly Project Demo = new("p1", "demo", "default", true);
    private readonly ManualTime _time = new(Start);
    private TempStateDb _temp = null!;
    private IdentityStore _identity = null!;

    public async Task InitializeAsync()
    {
        _temp = await TempStateDb.CreateAsync();
        _identity = new IdentityStore(_temp.Db, _time);
        await _identity.CreateProjectAsync(Demo, CancellationToken.None);
        await _identity.CreateUserAsync(Alice, CancellationToken.None);
        await _identity.AssignRoleAsync(Alice.Id, Demo.Id, RoleNames.Member, CancellationToken.None);
    }

    public async Task DisposeAsync() => await _temp.DisposeAsync();

    [Fact]
    public async Task ARevocationByThisProcess_IsRefusedAtTheNextValidation_WhateverTheCache()
    {
        var tokens = Service(CacheSeconds);
        var (revoked, _) = await tokens.IssueAsync(Alice, Demo, CancellationToken.None);
        var (roleRemoved, _) = await tokens.IssueAsync(Alice, Demo, CancellationToken.None);
        Assert.NotNull(await tokens.ValidateAsync(revoked, CancellationToken.None));
        Assert.NotNull(await tokens.ValidateAsync(roleRemoved, CancellationToken.None));

        await tokens.RevokeAsync(revoked, CancellationToken.None);
        Assert.Null(await tokens.ValidateAsync(revoked, CancellationToken.None));
        Assert.NotNull(await tokens.ValidateAsync(roleRemoved, CancellationToken.None));

        await _identity.RemoveRoleAsync(Alice.Id, Demo.Id, RoleNames.Member, CancellationToken.None);
        Assert.Null(await tokens.ValidateAsync(roleRemoved, CancellationToken.None));
    }

    [Fact]
    public async Task ARoleGrantedByThisProcess_IsInTheNextValidation()
    {
        var tokens = Service(CacheSeconds);
        var (token, _) = await tokens.IssueAsync(Alice, Demo, CancellationToken.None);
        Assert.Equal([RoleNames.Member], (await tokens.ValidateAsync(token, CancellationToken.None))!.Roles);

        await _identity.AssignRoleAsync(Alice.Id, Demo.Id, RoleNames.Admin, CancellationToken.None);

        Assert.Equal([RoleNames.Admin, RoleNames.Member], (await tokens.ValidateAsync(token, CancellationToken.None))!.Roles);
    }

    [Fact]
    public async Task DeletingAnApplicationCredentialInThisProcess_RefusesItsTokensAtOnce()
    {
        var credentials = new ApplicationCredentialStore(_temp.Db, _time);
        var credential = new ApplicationCredentialEntry("c1", Alice.Id, Demo.Id, "ci", "", [RoleNames.Member], false, null);
        Assert.True(await credentials.CreateAsync(credential, "secret-hash", CancellationToken.None));
        var tokens = Service(CacheSeconds);
        var (token, _) = await tokens.IssueAsync(Alice, Demo, credential, CancellationToken.None);
        Assert.NotNull(await tokens.ValidateAsync(token, CancellationToken.None));

        Assert.True(await credentials.DeleteAsync(Alice.Id, credential.Id, CancellationToken.None));

        Assert.Null(await tokens.ValidateAsync(token, CancellationToken.None));
    }

    [Fact]
    public async Task ARevocationByAnotherProcess_IsRefusedOnceTheCacheTimeHasPassed()
    {
        var tokens = Service(CacheSeconds);
        var (token, _) = await tokens.IssueAsync(Alice, Demo, CancellationToken.None);
        Assert.NotNull(await tokens.ValidateAsync(token, CancellationToken.None));

        // Another hoard-server on the same state DB: its own StateDb, so this process's stores do not see the change.
        await new IdentityStore(new StateDb(_temp.Db.Path!), _time).RevokeTokenAsync(Secrets.Sha256(token), CancellationToken.None);

        _time.Now = Start.AddSeconds(CacheSeconds - 0.5);
        Assert.NotNull(await tokens.ValidateAsync(token, CancellationToken.None));
        _time.Now = Start.AddSeconds(CacheSeconds);
        Assert.Null(await tokens.ValidateAsync(token, CancellationToken.None));
    }

    [Fact]
    public async Task WithNoCache_ARevocationByAnotherProcess_IsRefusedAtOnce()
    {
        var tokens = Service(0);
        var (token, _) = await tokens.IssueAsync(Alice, Demo, CancellationToken.None);
        Assert.NotNull(await tokens.ValidateAsync(token, CancellationToken.None));

        await new IdentityStore(new StateDb(_temp.Db.Path!), _time).RevokeTokenAsync(Secrets.Sha256(token), CancellationToken.None);

        Assert.Null(await tokens.ValidateAsync(token, CancellationToken.None));
    }

    [Fact]
    public async Task ACachedToken_IsRefusedWhenItExpires_EvenWithinTheCacheTime()
    {
        var tokens = Service(3600, lifetimeHours: 1.0 / 3600);
        var (token, info) = await tokens.IssueAsync(Alice, Demo, CancellationToken.None);
        Assert.InRange(info.ExpiresAt, Start.AddSeconds(0.9), Start.AddSeconds(1.1));
        Assert.NotNull(await tokens.ValidateAsync(token, CancellationToken.None));

        _time.Now = info.ExpiresAt;

        Assert.Null(await tokens.ValidateAsync(token, CancellationToken.None));
    }

    [Fact]
    public async Task ARefusal_IsNotKept_SoATokenStoredMeanwhileWorksAtOnce()
    {
        var tokens = Service(CacheSeconds);
        const string token = "a-token-not-yet-stored";
        Assert.Null(await tokens.ValidateAsync(token, CancellationToken.None));

        await _identity.StoreTokenAsync(Secrets.Sha256(token), Alice.Id, Demo.Id, Start, Start.AddHours(1), CancellationToken.None);

        Assert.Equal(Alice.Id, (await tokens.ValidateAsync(token, CancellationToken.None))!.UserId);
    }

    private TokenService Service(double cacheSeconds, double lifetimeHours = 12) =>
        new(_identity, Options.Create(new HoardOptions { TokenLifetimeHours = lifetimeHours, Identity = { TokenCacheSeconds = cacheSeconds } }), _time);
}

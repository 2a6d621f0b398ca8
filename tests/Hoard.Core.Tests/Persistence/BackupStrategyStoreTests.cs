using Hoard.Core.Backups;
using Hoard.Persistence;
using Hoard.Tests.Shared;

namespace Hoard.Core.Tests.Persistence;

/// <summary>Backup strategies in a real state database (SQLite and PostgreSQL), and which container a new backup takes from them.</summary>
public abstract class BackupStrategyStoreTests(Func<Task<TestStateDb>> create) : StateDbTests(create)
{
    private StateDb _db = null!;
    private BackupStrategyStore _strategies = null!;

    protected override Task InitializeStoresAsync()
    {
        _db = Db;
        _strategies = new BackupStrategyStore(_db, TimeProvider.System);
        return Task.CompletedTask;
    }

    [StateDbFact]
    public async Task TheInstancesStrategyWins_OverItsProjects_AndNeitherReachesAnotherProject()
    {
        Assert.Null(await _strategies.FindContainerAsync("p1", "i1", default));
        await _strategies.PutAsync("p1", "", "swift", "project-c", default);
        Assert.Equal("project-c", await _strategies.FindContainerAsync("p1", "i1", default));
        await _strategies.PutAsync("p1", "i1", "swift", "instance-c", default);
        Assert.Equal("instance-c", await _strategies.FindContainerAsync("p1", "i1", default));
        Assert.Equal("project-c", await _strategies.FindContainerAsync("p1", "i2", default));
        Assert.Null(await _strategies.FindContainerAsync("p2", "i1", default));

        Assert.True(await _strategies.DeleteAsync("p1", "i1", default));
        Assert.False(await _strategies.DeleteAsync("p1", "i1", default));
        Assert.Equal("project-c", await _strategies.FindContainerAsync("p1", "i1", default));
    }

    [StateDbFact]
    public async Task Put_ReplacesTheContainer_KeepingWhenItWasCreated_AndListFilters()
    {
        var first = await _strategies.PutAsync("p1", "i1", "swift", "old", default);
        await Task.Delay(10);
        var second = await _strategies.PutAsync("p1", "i1", "swift", "new", default);
        await _strategies.PutAsync("p2", "", "swift", "other", default);

        Assert.Equal(("new", first.Created), (second.SwiftContainer, second.Created));
        Assert.True(second.Updated > first.Updated);
        Assert.Equal(["new"], (await _strategies.ListAsync("p1", null, default)).Select(s => s.SwiftContainer));
        Assert.Equal(["new"], (await _strategies.ListAsync(null, "i1", default)).Select(s => s.SwiftContainer));
        Assert.Equal(2, (await _strategies.ListAsync(null, null, default)).Count);
    }

    [StateDbTheory]
    [InlineData("database_backups", true)]
    [InlineData("team-a.backups_2", true)]
    [InlineData("", false)]
    [InlineData("a/b", false)]
    [InlineData(".hidden", false)]
    [InlineData("sp ace", false)]
    [InlineData("..", false)]
    public void ContainerNames_AreCheckedStrictly(string name, bool valid) => Assert.Equal(valid, BackupKeys.IsContainerName(name));
}

public sealed class SqliteBackupStrategyStoreTests() : BackupStrategyStoreTests(TestStateDb.SqliteAsync);

[Collection(PostgreSqlStateCollection.Name)]
public sealed class PostgreSqlBackupStrategyStoreTests(PostgreSqlStateServer server) : BackupStrategyStoreTests(() => TestStateDb.PostgreSqlAsync(server))
{
    public static string? SkipReason => PostgreSqlStateServer.SkipReason;
}

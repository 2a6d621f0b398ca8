using System.Text.Json;
using Hoard.Contracts.Guest;
using Hoard.Core.Catalog;

namespace Hoard.Core.Tests.Server.Backups;

/// <summary>The shipped datastore catalog names, per version, a backup strategy the guest knows.</summary>
public sealed class BackupStrategyCatalogTests
{
    [Theory]
    [InlineData("mariadb.json", BackupStrategies.MariaDbBackup)]
    [InlineData("postgresql.json", BackupStrategies.PgBaseBackup)]
    [InlineData("redis.json", BackupStrategies.RedisRdb)]
    public void EveryShippedVersion_HasItsDatastoresFullBackupStrategy(string file, string strategy)
    {
        var definition = JsonSerializer.Deserialize(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "datastores", file)),
            CatalogJson.Default.DatastoreDefinition)!;
        Assert.All(definition.Versions, v => Assert.Equal(strategy, v.Capabilities.BackupStrategy));
    }

    [Theory]
    [InlineData("mariadb.json", true)]
    [InlineData("postgresql.json", false)]
    [InlineData("redis.json", false)]
    public void OnlyMariaDbsStrategy_TakesIncrementalBackups(string file, bool incremental)
    {
        var definition = JsonSerializer.Deserialize(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "datastores", file)),
            CatalogJson.Default.DatastoreDefinition)!;
        Assert.All(definition.Versions, v => Assert.Equal(incremental, v.Capabilities.BackupIncremental));
    }
}

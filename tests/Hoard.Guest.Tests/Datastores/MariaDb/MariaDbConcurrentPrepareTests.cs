using Hoard.Contracts.Guest;

namespace Hoard.Guest.Tests.Datastores.MariaDb;

/// <summary>
/// Several instances prepared at once, each running mariadb-install-db: with a shared /tmp their bootstrap
/// temporary tables collided ("Unknown table 'mysql.tmp_user_sys'"); each instance now has its own tmpdir.
/// </summary>
public sealed class MariaDbConcurrentPrepareTests
{
    [Fact]
    public async Task FourInstancesPreparedAtOnce_AllComeUp()
    {
        var instances = Enumerable.Range(0, 4).Select(_ => MariaDbInstance.Create()).ToList();
        var managers = instances.Select(i => i.CreateManager()).ToList();
        try
        {
            var request = new PrepareRequest("mariadb", "10.11", 512, 1, 1, [new DatabaseSpec("shop")], []);
            await Task.WhenAll(managers.Select(m => m.PrepareAsync(request, CancellationToken.None)));
            foreach (var manager in managers)
            {
                Assert.Contains(await manager.ListDatabasesAsync(CancellationToken.None), d => d.Name == "shop");
            }
        }
        finally
        {
            foreach (var manager in managers)
            {
                await manager.DisposeAsync();
            }

            foreach (var instance in instances)
            {
                instance.Dispose();
            }
        }
    }
}

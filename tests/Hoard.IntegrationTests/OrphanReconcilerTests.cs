using Hoard.IntegrationTests.Infrastructure;
using Hoard.Persistence;

namespace Hoard.IntegrationTests;

/// <summary>
/// What no instance owns does not stay on the host: the leftovers of a deleted instance go at the next scan, those
/// of an instance the state DB never knew once they have been untouched for the grace period, and nothing of a
/// live instance is ever touched.
/// </summary>
[Collection(HoardServerCollection.Name)]
[Trait("Category", "Integration")]
public sealed class OrphanReconcilerTests(HoardServerFixture server)
{
    private TroveClient Client => server.Client;

    private TroveSession Admin => server.Admin;

    [Fact]
    public async Task LeftoversOfADeletedInstance_AreRemoved_WhileLiveInstancesAreNotTouched()
    {
        var shared = await server.GetSharedInstanceAsync();
        const string password = "Orphan-App-1";
        var id = (await Client.CreateInstanceAsync(Admin, TroveClient.InstanceBody("orphan", "shop", "app", password)))["id"]!.GetValue<string>();
        await Client.WaitForActiveAsync(Admin, id);
        Assert.NotEmpty(ProcessTable.Mentioning(id));

        // As if its delete had recorded the row but its clean-up had been undone or never reached the host.
        await new InstanceStore(new StateDb(Path.Combine(server.DataDir, "state.db")), TimeProvider.System).MarkDeletedAsync(id, default);

        var instanceDir = Path.Combine(server.DataDir, "instances", id);
        var volume = Path.Combine(server.DataDir, "volumes", id);
        await Poll.UntilAsync(() => Task.FromResult(ProcessTable.Mentioning(id).Count == 0 && !Directory.Exists(instanceDir) &&
                                                    !Directory.Exists(volume) && !File.Exists(volume + ".img")),
            "the reconciler did not remove the deleted instance's processes, directory and volume", 60,
            () => ProcessTable.Describe(ProcessTable.Mentioning(id)) + "\n" + server.ServerLog);
        // Searched in the whole kept log: a busy server (other tests run meanwhile) pushes it out of ServerLog's last lines.
        Assert.True(server.ServerLogged(l => l.Contains(id, StringComparison.Ordinal) && l.Contains("Removing what is left", StringComparison.Ordinal)),
            $"the server did not log the removal of {id}'s leftovers");

        // The shared instance lived through every scan.
        Assert.Contains("shop", await MariaDbClient.QueryOkAsync(shared.Ip, "app", SharedInstance.AppPassword, "shop", "SELECT DATABASE()"),
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task LeftoversOfAnUnknownInstance_AreRemovedOnlyOnceUntouchedForTheGracePeriod()
    {
        await server.GetSharedInstanceAsync();
        var stale = FakeLeftovers(TimeSpan.FromHours(1));
        var fresh = FakeLeftovers(TimeSpan.Zero);

        await Poll.UntilAsync(() => Task.FromResult(stale.All(p => !Directory.Exists(p))),
            "the reconciler did not remove the leftovers of an instance unknown to the state DB", 30, () => server.ServerLog);

        // Several scans later (one every 2 s here), what changed within the grace period is still there.
        await Task.Delay(TimeSpan.FromSeconds(5));
        Assert.All(fresh, p => Assert.True(Directory.Exists(p), $"{p} was removed although it had just changed"));
        foreach (var path in fresh)
        {
            Directory.Delete(path, recursive: true);
        }
    }

    /// <summary>An instance directory and a volume directory of an instance the state DB does not know, last changed <paramref name="age"/> ago.</summary>
    private string[] FakeLeftovers(TimeSpan age)
    {
        var id = Guid.NewGuid().ToString();
        var paths = new[] { Path.Combine(server.DataDir, "instances", id), Path.Combine(server.DataDir, "volumes", id) };
        foreach (var path in paths)
        {
            Directory.CreateDirectory(path);
            File.WriteAllText(Path.Combine(path, "leftover"), "left behind");
            Directory.SetLastWriteTimeUtc(path, DateTime.UtcNow - age);
        }

        return paths;
    }
}

using Hoard.Core.Tests.Persistence;
using Hoard.Messaging.RabbitMq;
using Hoard.Persistence;
using Hoard.Server.Hosting;
using Hoard.Tests.Shared;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Hoard.Core.Tests.Messaging.RabbitMq;

/// <summary>
/// The reconciler removes broker users of deleted and unknown instances and keeps live ones', on the private broker and
/// a real SQLite state DB; against a state DB that never knew an instance it removes nothing.
/// </summary>
[Collection(RabbitMqCollection.Name)]
public sealed class BrokerUserReconcilerTests(RabbitMqBroker broker) : IAsyncLifetime
{
    private TempStateDb _temp = null!;
    private InstanceStore _instances = null!;
    private BrokerUsers _users = null!;
    private BrokerUserReconciler _reconciler = null!;

    public static string? SkipReason => RabbitMqBroker.SkipReason;

    public async Task InitializeAsync()
    {
        if (SkipReason is not null)
        {
            return;
        }

        _temp = await TempStateDb.CreateAsync();
        _instances = new InstanceStore(_temp.Db, TimeProvider.System);
        _users = new BrokerUsers(broker.Options.Url, new RabbitMqSettings { ManagementUrl = broker.ManagementUrl.ToString() }, "hoard",
            NullLogger<BrokerUsers>.Instance);
        _reconciler = new BrokerUserReconciler(_users, _instances, Options.Create(new HoardOptions()), TimeProvider.System,
            NullLogger<BrokerUserReconciler>.Instance);
    }

    public async Task DisposeAsync()
    {
        if (SkipReason is not null)
        {
            return;
        }

        foreach (var id in await _users.ListGuestInstancesAsync(default))
        {
            await _users.DeleteGuestAsync(id, default);
        }

        _users.Dispose();
        await _temp.DisposeAsync();
    }

    [BusFact]
    public async Task UsersOfDeletedAndUnknownInstances_AreRemoved_LiveOnesKept()
    {
        var unknown = Guid.NewGuid().ToString();
        await _users.PutGuestAsync(unknown, "pw", default);
        Assert.Empty(await _reconciler.ReconcileAsync(default)); // a state DB that never knew an instance: nothing goes

        var live = StoreRecords.Instance("p");
        var deleted = StoreRecords.Instance("p");
        foreach (var instance in new[] { live, deleted })
        {
            await _instances.InsertAsync(instance, StoreRecords.Workflow(instance.Id), default);
            await _users.PutGuestAsync(instance.Id, "pw", default);
        }

        await _instances.MarkDeletedAsync(deleted.Id, default);

        var removed = await _reconciler.ReconcileAsync(default);
        Assert.Contains(unknown, removed);
        Assert.Contains(deleted.Id, removed);
        Assert.DoesNotContain(live.Id, removed);
        var left = await _users.ListGuestInstancesAsync(default);
        Assert.Contains(live.Id, left);
        Assert.DoesNotContain(deleted.Id, left);
        Assert.DoesNotContain(unknown, left);
    }
}

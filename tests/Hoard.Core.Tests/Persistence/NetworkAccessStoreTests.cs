using Hoard.Contracts.Guest;
using Hoard.Core.Instances;
using Hoard.Core.Workflows;
using Hoard.Persistence;
using Hoard.Tests.Shared;

namespace Hoard.Core.Tests.Persistence;

/// <summary>Instances' allowed networks in a real state database (SQLite and PostgreSQL).</summary>
public abstract class NetworkAccessStoreTests(Func<Task<TestStateDb>> create) : StateDbTests(create)
{
    private static readonly InstanceTask[] Startable = [InstanceTask.None, InstanceTask.RestartRequired];
    private StateDb _db = null!;
    private InstanceStore _instances = null!;
    private NetworkAccessStore _access = null!;

    protected override Task InitializeStoresAsync()
    {
        _db = Db;
        _instances = new InstanceStore(_db, TimeProvider.System);
        _access = new NetworkAccessStore(_db, TimeProvider.System);
        return Task.CompletedTask;
    }

    [StateDbFact]
    public async Task ListRestricted_HoldsLiveRestrictedInstancesWithAnAddress_Only()
    {
        var restricted = await InsertAsync("127.0.0.2/32", "127.100.0.2");
        await InsertAsync(null, "127.100.0.3");
        await InsertAsync("127.0.0.2/32", address: null);
        var deleted = await InsertAsync("10.0.0.0/8", "127.100.0.5");
        await _instances.MarkDeletedAsync(deleted.Id, CancellationToken.None);

        var listed = Assert.Single(await _access.ListRestrictedAsync(CancellationToken.None));

        Assert.Equal(new RestrictedInstance(restricted.Id, "127.100.0.2", 3306, "127.0.0.2/32"), listed);
        Assert.Equal("127.0.0.2/32", (await _instances.GetAsync(restricted.Id, CancellationToken.None))!.AllowedCidrs);
    }

    [StateDbFact]
    public async Task TryBeginUpdate_StoresTheNetworksAndTheWorkflow_OnlyFromAnIdleInstanceThatStillHasTheExpectedOnes()
    {
        var instance = await InsertAsync(null, "127.100.0.2");
        Assert.False(await _access.TryBeginUpdateAsync(instance.Id, null, "127.0.0.2/32", Workflow(instance.Id), Startable, CancellationToken.None));

        await _instances.SetTaskAsync(instance.Id, InstanceTask.None, CancellationToken.None);
        Assert.False(await _access.TryBeginUpdateAsync(instance.Id, "10.0.0.0/8", "127.0.0.2/32", Workflow(instance.Id), Startable,
            CancellationToken.None));
        Assert.True(await _access.TryBeginUpdateAsync(instance.Id, null, "127.0.0.2/32", Workflow(instance.Id), Startable, CancellationToken.None));

        var updated = (await _instances.GetAsync(instance.Id, CancellationToken.None))!;
        Assert.Equal((InstanceTask.Updating, "127.0.0.2/32"), (updated.Task, updated.AllowedCidrs));
        Assert.False(await _access.TryBeginUpdateAsync(instance.Id, "127.0.0.2/32", null, Workflow(instance.Id), Startable, CancellationToken.None));

        Assert.False(await _access.TryRevertAsync(instance.Id, "10.0.0.0/8", null, CancellationToken.None));
        Assert.True(await _access.TryRevertAsync(instance.Id, "127.0.0.2/32", null, CancellationToken.None));
        Assert.Null((await _instances.GetAsync(instance.Id, CancellationToken.None))!.AllowedCidrs);
    }

    private async Task<InstanceRecord> InsertAsync(string? allowedCidrs, string? address)
    {
        var instance = new InstanceRecord
        {
            Id = Guid.NewGuid().ToString(), ProjectId = "p", Name = "i", FlavorId = "1", DatastoreVersionId = "v1", VolumeSize = 1,
            Task = InstanceTask.Building, ServerStatus = ServerStatus.Build, ServiceStatus = ServiceStatus.New, Port = 3306,
            Created = DateTimeOffset.UtcNow, Updated = DateTimeOffset.UtcNow, AllowedCidrs = allowedCidrs, Address = address,
        };
        await _instances.InsertAsync(instance, Workflow(instance.Id), CancellationToken.None);
        return instance;
    }

    private static WorkflowRecord Workflow(string instanceId) => new()
    {
        Id = Guid.NewGuid().ToString(), Type = "test", InstanceId = instanceId, Created = DateTimeOffset.UtcNow, Updated = DateTimeOffset.UtcNow,
    };
}

public sealed class SqliteNetworkAccessStoreTests() : NetworkAccessStoreTests(TestStateDb.SqliteAsync);

[Collection(PostgreSqlStateCollection.Name)]
public sealed class PostgreSqlNetworkAccessStoreTests(PostgreSqlStateServer server) : NetworkAccessStoreTests(() => TestStateDb.PostgreSqlAsync(server))
{
    public static string? SkipReason => PostgreSqlStateServer.SkipReason;
}

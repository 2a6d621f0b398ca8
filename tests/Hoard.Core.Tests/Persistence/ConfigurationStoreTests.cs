using System.Text.Json.Nodes;
using Hoard.Contracts.Guest;
using Hoard.Core.Catalog;
using Hoard.Core.Configurations;
using Hoard.Core.Instances;
using Hoard.Core.Workflows;
using Hoard.Persistence;
using Hoard.Tests.Shared;

namespace Hoard.Core.Tests.Persistence;

/// <summary>Configuration groups in a real state database (SQLite and PostgreSQL): storage, attachment and the delete guard.</summary>
public abstract class ConfigurationStoreTests(Func<Task<TestStateDb>> create) : StateDbTests(create)
{
    private StateDb _db = null!;
    private ConfigurationStore _configurations = null!;
    private InstanceStore _instances = null!;

    protected override async Task InitializeStoresAsync()
    {
        _db = Db;
        _configurations = new ConfigurationStore(_db, TimeProvider.System);
        _instances = new InstanceStore(_db, TimeProvider.System);
        await new CatalogStore(_db).UpsertDatastoreAsync(new DatastoreDefinition("ds", "mariadb",
            [new DatastoreVersionDefinition("v1", "10.11", "10.11", "mariadb", true, true, new DatastoreCapabilities(),
                [new ConfigurationParameter { Name = "max_connections", Type = "integer" }])]), CancellationToken.None);
    }

    [StateDbFact]
    public async Task Catalog_KeepsTheParameterSchema()
    {
        var version = Assert.Single(await new CatalogStore(_db).ListVersionsAsync(CancellationToken.None));
        Assert.Equal("max_connections", Assert.Single(version.Parameters).Name);
    }

    [StateDbFact]
    public async Task Group_RoundTripsItsValues_AndIsVisibleOnlyToItsProject()
    {
        var group = await InsertGroupAsync("p1");
        var read = await _configurations.GetAsync(group.Id, "p1", CancellationToken.None);
        Assert.NotNull(read);
        Assert.Equal("""{"max_connections":200}""", read.Values.ToJsonString());
        Assert.Null(await _configurations.GetAsync(group.Id, "p2", CancellationToken.None));
        Assert.Single(await _configurations.ListAsync("p1", 10, null, CancellationToken.None));
        Assert.Empty(await _configurations.ListAsync("p2", 10, null, CancellationToken.None));
    }

    [StateDbFact]
    public async Task Delete_IsRefusedWhileAnInstanceUsesTheGroup_AndAllowedAfterDetach()
    {
        var group = await InsertGroupAsync("p1");
        var instance = NewInstance("p1", group.Id);
        await _instances.InsertAsync(instance, Workflow(instance.Id), CancellationToken.None);
        Assert.Equal(1, await _configurations.CountInstancesAsync(group.Id, CancellationToken.None));
        Assert.False(await _configurations.TryDeleteAsync(group.Id, CancellationToken.None));

        await _instances.SetTaskAsync(instance.Id, InstanceTask.None, CancellationToken.None);
        Assert.True(await _instances.TryBeginConfigurationAsync(instance.Id, group.Id, null, Workflow(instance.Id),
            [InstanceTask.None], CancellationToken.None));
        var detached = await _instances.GetAsync(instance.Id, CancellationToken.None);
        Assert.Null(detached!.ConfigurationId);
        Assert.Equal(InstanceTask.Updating, detached.Task);
        Assert.True(await _configurations.TryDeleteAsync(group.Id, CancellationToken.None));
        Assert.Null(await _configurations.GetAsync(group.Id, null, CancellationToken.None));
    }

    [StateDbFact]
    public async Task Attach_IsRefusedWhenTheInstanceChangedMeanwhile()
    {
        var group = await InsertGroupAsync("p1");
        var instance = NewInstance("p1", null);
        await _instances.InsertAsync(instance, Workflow(instance.Id), CancellationToken.None);
        // Still building: not a state a configuration change may start from.
        Assert.False(await _instances.TryBeginConfigurationAsync(instance.Id, null, group.Id, Workflow(instance.Id),
            [InstanceTask.None, InstanceTask.RestartRequired], CancellationToken.None));
        await _instances.SetTaskAsync(instance.Id, InstanceTask.None, CancellationToken.None);
        // Someone else attached a group first: the expected "none attached" no longer holds.
        Assert.False(await _instances.TryBeginConfigurationAsync(instance.Id, "another", group.Id, Workflow(instance.Id),
            [InstanceTask.None], CancellationToken.None));
        Assert.True(await _instances.TryBeginConfigurationAsync(instance.Id, null, group.Id, Workflow(instance.Id),
            [InstanceTask.None], CancellationToken.None));
        Assert.True(await _instances.TryFinishConfigurationAsync(instance.Id, InstanceTask.Updating, InstanceTask.RestartRequired, "abc",
            CancellationToken.None));
        var attached = await _instances.GetAsync(instance.Id, CancellationToken.None);
        Assert.Equal((group.Id, InstanceTask.RestartRequired, "abc"), (attached!.ConfigurationId, attached.Task, attached.ConfigurationApplied));
        Assert.Single(await _instances.ListConfiguredAsync(CancellationToken.None));
    }

    [StateDbFact]
    public async Task DeleteAndAttach_Concurrently_NeverLeaveAnInstanceWithADeletedGroup()
    {
        for (var round = 0; round < 5; round++)
        {
            var group = await InsertGroupAsync("p1");
            var instance = NewInstance("p1", null);
            await _instances.InsertAsync(instance, Workflow(instance.Id), CancellationToken.None);
            await _instances.SetTaskAsync(instance.Id, InstanceTask.None, CancellationToken.None);

            var delete = Task.Run(() => _configurations.TryDeleteAsync(group.Id, CancellationToken.None));
            var attach = Task.Run(() => _instances.TryBeginConfigurationAsync(instance.Id, null, group.Id, Workflow(instance.Id),
                [InstanceTask.None], CancellationToken.None));

            Assert.NotEqual(await delete, await attach);
            Assert.Equal(await attach, (await _configurations.GetAsync(group.Id, "p1", CancellationToken.None)) is not null);
        }
    }

    private async Task<ConfigurationGroup> InsertGroupAsync(string project)
    {
        var now = DateTimeOffset.UtcNow;
        var group = new ConfigurationGroup(Guid.NewGuid().ToString(), project, "g", null, "v1",
            new JsonObject { ["max_connections"] = 200 }, now, now);
        await _configurations.InsertAsync(group, CancellationToken.None);
        return group;
    }

    private static InstanceRecord NewInstance(string project, string? configurationId) => new()
    {
        Id = Guid.NewGuid().ToString(), ProjectId = project, Name = "i", FlavorId = "1", DatastoreVersionId = "v1", VolumeSize = 1,
        Task = InstanceTask.Building, ServerStatus = ServerStatus.Build, ServiceStatus = ServiceStatus.New, Port = 3306,
        Created = DateTimeOffset.UtcNow, Updated = DateTimeOffset.UtcNow, ConfigurationId = configurationId,
    };

    private static WorkflowRecord Workflow(string instanceId) => new()
    {
        Id = Guid.NewGuid().ToString(), Type = "test", InstanceId = instanceId, Created = DateTimeOffset.UtcNow, Updated = DateTimeOffset.UtcNow,
    };
}

public sealed class SqliteConfigurationStoreTests() : ConfigurationStoreTests(TestStateDb.SqliteAsync);

[Collection(PostgreSqlStateCollection.Name)]
public sealed class PostgreSqlConfigurationStoreTests(PostgreSqlStateServer server) : ConfigurationStoreTests(() => TestStateDb.PostgreSqlAsync(server))
{
    public static string? SkipReason => PostgreSqlStateServer.SkipReason;
}

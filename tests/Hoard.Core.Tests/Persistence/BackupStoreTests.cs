using Hoard.Core.Backups;
using Hoard.Core.Instances;
using Hoard.Core.Tests.Server.Backups;
using Hoard.Core.Workflows;
using Hoard.Persistence;
using Hoard.Tests.Shared;

namespace Hoard.Core.Tests.Persistence;

/// <summary>Backups' rows in a real state database (SQLite and PostgreSQL).</summary>
public abstract class BackupStoreTests(Func<Task<TestStateDb>> create) : StateDbTests(create)
{
    private static readonly Dictionary<string, int> Defaults = new() { [QuotaStore.Backups] = 2 };
    private BackupBed _bed = null!;

    protected override async Task InitializeStoresAsync() => _bed = await BackupBed.CreateAsync(Db);

    protected override async Task DisposeStoresAsync() => await _bed.DisposeAsync();

    [StateDbFact]
    public async Task TryBegin_InsertsBackupAndWorkflow_AndGivesTheInstanceItsTask_AllAtOnce()
    {
        var instance = await _bed.AddInstanceAsync("p1");
        var (backup, workflow) = await NewAsync(instance);

        var (begun, exceeded) = await _bed.Backups.TryBeginAsync(backup, workflow, InstanceTask.BackingUp, [InstanceTask.None], Defaults, default);

        Assert.True(begun);
        Assert.Empty(exceeded);
        Assert.Equal(InstanceTask.BackingUp, (await _bed.Instances.GetAsync(instance.Id, default))!.Task);
        var stored = await _bed.Backups.GetAsync(backup.Id, default);
        Assert.Equal((BackupStatus.New, "mariadb", "mariadb-backup", true), (stored!.Status, stored.DatastoreType, stored.Strategy, stored.Encrypted));
        Assert.Contains(await _bed.Workflows.ListRunningAsync(default), w => w.Id == workflow.Id);
        Assert.Equal(1, (await _bed.Quotas.GetUsageAsync("p1", default))[QuotaStore.Backups]);
    }

    [StateDbFact]
    public async Task TryBegin_OnABusyInstance_OrOverQuota_ChangesNothing()
    {
        var busy = await _bed.AddInstanceAsync("p1", task: InstanceTask.Resizing);
        var (backup, workflow) = await NewAsync(busy);
        Assert.Equal((false, 0), Summary(await _bed.Backups.TryBeginAsync(backup, workflow, InstanceTask.BackingUp, [InstanceTask.None], Defaults, default)));
        Assert.Equal(InstanceTask.Resizing, (await _bed.Instances.GetAsync(busy.Id, default))!.Task);
        Assert.Null(await _bed.Backups.GetAsync(backup.Id, default));

        var instance = await _bed.AddInstanceAsync("p1");
        await _bed.AddCompletedBackupAsync(instance, [1]);
        await _bed.AddCompletedBackupAsync(instance, [2]);
        (backup, workflow) = await NewAsync(instance);
        var (begun, exceeded) = await _bed.Backups.TryBeginAsync(backup, workflow, InstanceTask.BackingUp, [InstanceTask.None], Defaults, default);
        Assert.False(begun);
        Assert.Equal(["backups"], exceeded);
        Assert.Equal(InstanceTask.None, (await _bed.Instances.GetAsync(instance.Id, default))!.Task);
        Assert.Null(await _bed.Backups.GetAsync(backup.Id, default));
        Assert.DoesNotContain(await _bed.Workflows.ListRunningAsync(default), w => w.Id == workflow.Id);
    }

    [StateDbFact]
    public async Task StatusChanges_HappenOnlyFromTheStatusTheyLeave()
    {
        var instance = await _bed.AddInstanceAsync("p1");
        var (backup, workflow) = await NewAsync(instance);
        await _bed.Backups.TryBeginAsync(backup, workflow, InstanceTask.BackingUp, [InstanceTask.None], Defaults, default);
        var stored = new StoredBackup("file:///x", 10, new string('a', 64), true);

        Assert.False(await _bed.Backups.TryRecordUploadAsync(backup.Id, stored, default), "an upload was recorded for a NEW backup");
        Assert.True(await _bed.Backups.TryBeginBuildingAsync(backup.Id, default));
        Assert.False(await _bed.Backups.TryBeginBuildingAsync(backup.Id, default), "a backup was started twice");
        Assert.False(await _bed.Backups.TryCompleteAsync(backup.Id, 5, "{}", default), "completed without its data");
        Assert.False(await _bed.Backups.TryMarkDeletedAsync(backup.Id, default), "a running backup was deleted");
        Assert.True(await _bed.Backups.TryRecordUploadAsync(backup.Id, stored, default));
        Assert.True(await _bed.Backups.TryCompleteAsync(backup.Id, 5, """{"k":"v"}""", default));
        Assert.False(await _bed.Backups.TryFailAsync(backup.Id, "late", default), "a completed backup was failed");

        var done = (await _bed.Backups.GetAsync(backup.Id, default))!;
        Assert.Equal((BackupStatus.Completed, 10L, 5L, """{"k":"v"}""", "file:///x"), (done.Status, done.Size!.Value, done.ToolBytes!.Value, done.Metadata, done.Location));

        Assert.True(await _bed.Backups.TrySetDeleteFailedAsync(backup.Id, "disk on fire", default));
        Assert.True(await _bed.Backups.TryMarkDeletedAsync(backup.Id, default));
        Assert.Null(await _bed.Backups.GetAsync(backup.Id, default));
        Assert.Equal(0, (await _bed.Quotas.GetUsageAsync("p1", default))[QuotaStore.Backups]);
    }

    [StateDbFact]
    public async Task Fail_ForgetsTheStoredData_AndKeepsTheFault()
    {
        var instance = await _bed.AddInstanceAsync("p1");
        var (backup, workflow) = await NewAsync(instance);
        await _bed.Backups.TryBeginAsync(backup, workflow, InstanceTask.BackingUp, [InstanceTask.None], Defaults, default);
        await _bed.Backups.TryBeginBuildingAsync(backup.Id, default);
        await _bed.Backups.TryRecordUploadAsync(backup.Id, new StoredBackup("file:///x", 10, new string('a', 64), true), default);

        Assert.True(await _bed.Backups.TryFailAsync(backup.Id, "The guest could not back up the database: boom", default));
        var failed = (await _bed.Backups.GetAsync(backup.Id, default))!;
        Assert.Equal((BackupStatus.Failed, "The guest could not back up the database: boom"), (failed.Status, failed.Fault));
        Assert.Null(failed.Checksum);
        Assert.Null(failed.Location);
    }

    [StateDbFact]
    public async Task ResetStatus_FailsTheInstancesRunningBackups()
    {
        var instance = await _bed.AddInstanceAsync("p1");
        var (backup, workflow) = await NewAsync(instance);
        await _bed.Backups.TryBeginAsync(backup, workflow, InstanceTask.BackingUp, [InstanceTask.None], Defaults, default);
        await _bed.Backups.TryBeginBuildingAsync(backup.Id, default);

        await _bed.Instances.ResetStatusAsync(instance.Id, default);

        var failed = (await _bed.Backups.GetAsync(backup.Id, default))!;
        Assert.Equal(BackupStatus.Failed, failed.Status);
        Assert.Contains("reset_status", failed.Fault, StringComparison.Ordinal);
        Assert.Equal(InstanceTask.None, (await _bed.Instances.GetAsync(instance.Id, default))!.Task);
    }

    [StateDbFact]
    public async Task List_FiltersByProjectInstanceAndDatastore_NewestFirst_InPages()
    {
        var a = await _bed.AddInstanceAsync("p1");
        var b = await _bed.AddInstanceAsync("p1", "postgresql");
        var c = await _bed.AddInstanceAsync("p2");
        var first = await _bed.AddCompletedBackupAsync(a, [1]);
        var second = await _bed.AddCompletedBackupAsync(b, [2]);
        var third = await _bed.AddCompletedBackupAsync(a, [3]);
        var others = await _bed.AddCompletedBackupAsync(c, [4]);

        Assert.Equal([third.Id, second.Id, first.Id], Ids(await _bed.Backups.ListAsync("p1", null, null, 10, null, default)));
        Assert.Equal([third.Id, first.Id], Ids(await _bed.Backups.ListAsync("p1", a.Id, null, 10, null, default)));
        Assert.Equal([second.Id], Ids(await _bed.Backups.ListAsync("p1", null, "postgresql", 10, null, default)));
        Assert.Equal([others.Id, third.Id, second.Id, first.Id], Ids(await _bed.Backups.ListAsync(null, null, null, 10, null, default)));
        Assert.Equal([third.Id, second.Id], Ids(await _bed.Backups.ListAsync("p1", null, null, 2, null, default)));
        Assert.Equal([first.Id], Ids(await _bed.Backups.ListAsync("p1", null, null, 2, second.Id, default)));
    }

    [StateDbFact]
    public async Task Descendants_AreListedDeepestFirst_AndARestoreInProgressIsFound()
    {
        var instance = await _bed.AddInstanceAsync("p1");
        var full = await _bed.AddCompletedBackupAsync(instance, [1]);
        var child = await AddChildAsync(instance, full);
        var grandchild = await AddChildAsync(instance, child);

        Assert.Equal([grandchild.Id, child.Id], Ids(await _bed.Backups.ListDescendantsAsync(full.Id, default)));
        Assert.Empty(await _bed.Backups.ListDescendantsAsync(grandchild.Id, default));

        Assert.Null(await _bed.Backups.FindRestoringInstanceAsync(full.Id, default));
        var restoring = await _bed.AddInstanceAsync("p1", task: InstanceTask.Building);
        var provision = Hoard.Server.TaskManager.Workflows.ProvisionInstanceWorkflow.Create(restoring, [], [], [full, child]);
        await using (var connection = await _bed.Db.OpenAsync(default))
        {
            await Dapper.SqlMapper.ExecuteAsync(connection,
                "INSERT INTO workflows (id, type, instance_id, status, step, data, created, updated) VALUES (@Id, @Type, @InstanceId, 'RUNNING', 0, @Data, 'x', 'x')",
                new { provision.Id, provision.Type, provision.InstanceId, provision.Data });
        }

        Assert.Equal(restoring.Id, await _bed.Backups.FindRestoringInstanceAsync(child.Id, default));
        Assert.Equal(restoring.Id, await _bed.Backups.FindRestoringInstanceAsync(full.Id, default));
        Assert.Null(await _bed.Backups.FindRestoringInstanceAsync(grandchild.Id, default));
    }

    private async Task<BackupRecord> AddChildAsync(InstanceRecord instance, BackupRecord parent)
    {
        var (child, workflow) = await NewAsync(instance);
        child.ParentId = parent.Id;
        workflow.Status = WorkflowStatus.Succeeded;
        Assert.True((await _bed.Backups.TryBeginAsync(child, workflow, InstanceTask.BackingUp, [InstanceTask.None], new Dictionary<string, int>(), default)).Begun);
        await _bed.Instances.SetTaskAsync(instance.Id, InstanceTask.None, default);
        return child;
    }

    private async Task<(BackupRecord, WorkflowRecord)> NewAsync(InstanceRecord instance)
    {
        var version = (await _bed.Catalog.GetVersionAsync(instance.DatastoreVersionId, default))!;
        var backup = BackupBed.NewBackup(instance, version);
        return (backup, Hoard.Server.TaskManager.Workflows.CreateBackupWorkflow.Create(backup, backup.Created));
    }

    private static (bool, int) Summary((bool Begun, IReadOnlyList<string> Exceeded) result) => (result.Begun, result.Exceeded.Count);

    private static List<string> Ids(IEnumerable<BackupRecord> backups) => [.. backups.Select(b => b.Id)];
}

public sealed class SqliteBackupStoreTests() : BackupStoreTests(TestStateDb.SqliteAsync);

[Collection(PostgreSqlStateCollection.Name)]
public sealed class PostgreSqlBackupStoreTests(PostgreSqlStateServer server) : BackupStoreTests(() => TestStateDb.PostgreSqlAsync(server))
{
    public static string? SkipReason => PostgreSqlStateServer.SkipReason;
}

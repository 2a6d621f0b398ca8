using Hoard.Core.Backups;
using Hoard.Core.Instances;
using Hoard.Core.Tests.Backups;
using Hoard.Core.Workflows;
using Hoard.Server.TaskManager;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hoard.Core.Tests.Server.Backups;

/// <summary>A backup whose workflow is gone (abandoned, or lost) does not keep its instance in BACKUP.</summary>
public sealed class BackupReaperTests : IAsyncLifetime
{
    private BackupBed _bed = null!;

    public async Task InitializeAsync() => _bed = await BackupBed.CreateAsync();

    public async Task DisposeAsync() => await _bed.DisposeAsync();

    [Fact]
    public async Task ABackingUpInstanceWithoutAWorkflow_IsActiveAgain_AndItsBackupFailed_WithItsDataDeleted()
    {
        var instance = await _bed.AddInstanceAsync("p1");
        var version = (await _bed.Catalog.GetVersionAsync(instance.DatastoreVersionId, default))!;
        var backup = BackupBed.NewBackup(instance, version);
        var workflow = Hoard.Server.TaskManager.Workflows.CreateBackupWorkflow.Create(backup, backup.Created);
        workflow.Status = WorkflowStatus.Failed;
        await _bed.Backups.TryBeginAsync(backup, workflow, InstanceTask.BackingUp, [InstanceTask.None], new Dictionary<string, int>(), default);
        await _bed.Backups.TryBeginBuildingAsync(backup.Id, default);
        await _bed.Pipeline.StoreAsync(backup, new MemoryStream([1, 2, 3]), true, default);

        var later = new ManualTime(DateTimeOffset.UtcNow.AddMinutes(1));
        await new OrphanedTaskReaper(_bed.Instances, _bed.Backups, _bed.Pipeline, later, NullLogger<OrphanedTaskReaper>.Instance).ReapAsync(default);

        Assert.Equal(InstanceTask.None, (await _bed.Instances.GetAsync(instance.Id, default))!.Task);
        var failed = (await _bed.Backups.GetAsync(backup.Id, default))!;
        Assert.Equal(BackupStatus.Failed, failed.Status);
        Assert.Contains("no workflow was running", failed.Fault, StringComparison.Ordinal);
        Assert.Null(await _bed.Storage.GetSizeAsync(backup.StorageKey, default));
        Assert.Equal("Backing up the instance stopped before it finished.", (await _bed.Instances.GetLatestFaultAsync(instance.Id, default))!.Message);
    }
}

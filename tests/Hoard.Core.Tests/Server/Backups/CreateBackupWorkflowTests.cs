using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using Hoard.Contracts;
using Hoard.Contracts.Bus;
using Hoard.Contracts.Guest;
using Hoard.Core.Backups;
using Hoard.Core.Instances;
using Hoard.Core.Workflows;
using Hoard.Messaging.Embedded;
using Hoard.Server.TaskManager.Workflows;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hoard.Core.Tests.Server.Backups;

/// <summary>
/// The backup workflow driven by the real engine, with a scripted guest on the embedded bus that uploads over real HTTP
/// to the transfer endpoint, as the guest agent will.
/// </summary>
public sealed class CreateBackupWorkflowTests : IAsyncLifetime
{
    private readonly EmbeddedBus _bus = new();
    private readonly GuestProcessStub _compute = new();
    private readonly HttpClient _http = new();
    private readonly CancellationTokenSource _stop = new();
    private BackupBed _bed = null!;
    private Task _engineRun = Task.CompletedTask;
    private WorkflowEngine _engine = null!;

    public async Task InitializeAsync()
    {
        _bed = await BackupBed.CreateAsync();
        await _bed.StartTransfersAsync();
        var workflow = new CreateBackupWorkflow(_bed.Instances, _bed.Backups, _bed.Pipeline, _bed.Tokens, _compute, _bus, _bed.OptionsWrapper,
            NullLogger<CreateBackupWorkflow>.Instance);
        _engine = new WorkflowEngine(_bed.Workflows, [workflow], TimeProvider.System, NullLogger<WorkflowEngine>.Instance);
        _engineRun = _engine.RunAsync(_stop.Token);
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        await _engineRun;
        await _bus.DisposeAsync();
        _http.Dispose();
        await _bed.DisposeAsync();
    }

    [Fact]
    public async Task GuestUploadsAndSucceeds_BackupIsCompleted_WithSizeChecksumAndMetadata_AndTheInstanceIsIdleAgain()
    {
        var data = RandomNumberGenerator.GetBytes(5 * 1024 * 1024);
        var instance = await _bed.AddInstanceAsync("p1");
        CreateBackupRequest? seen = null;
        await using var guest = await GuestAsync(instance, async request =>
        {
            seen = request;
            Assert.Equal(InstanceTask.BackingUp, (await _bed.Instances.GetAsync(instance.Id, default))!.Task);
            Assert.Equal(BackupStatus.Building, (await _bed.Backups.GetAsync(request.BackupId, default))!.Status);
            await UploadAsync(request.Upload, data);
            return new CreateBackupResult(123_456, new Dictionary<string, string> { ["to_lsn"] = "98765" });
        });

        var backup = await RunAsync(instance);

        Assert.Equal(BackupStatus.Completed, backup.Status);
        Assert.Equal((123_456L, """{"to_lsn":"98765"}"""), (backup.ToolBytes!.Value, backup.Metadata));
        Assert.Equal(new FileInfo(Path.Combine(_bed.Options.BackupDir, "p1", backup.Id)).Length, backup.Size);
        Assert.Equal(InstanceTask.None, (await _bed.Instances.GetAsync(instance.Id, default))!.Task);
        Assert.Equal((BackupStrategies.MariaDbBackup, $"{_bed.Options.BackupTransferUrl}/hoard/transfers/{backup.Id}"), (seen!.Strategy, seen.Upload.Url));
        Assert.Equal(0, _bed.Tokens.Outstanding);
        var restored = new MemoryStream();
        await _bed.Pipeline.SendAsync(backup, restored, default);
        Assert.Equal(data, restored.ToArray());
    }

    [Fact]
    public async Task AnIncremental_HandsTheGuestItsParent_WithTheMetadataTheParentsBackupReturned()
    {
        var instance = await _bed.AddInstanceAsync("p1");
        var parent = await _bed.AddCompletedBackupAsync(instance, [1, 2, 3]);
        CreateBackupRequest? seen = null;
        await using var guest = await GuestAsync(instance, async request =>
        {
            seen = request;
            await UploadAsync(request.Upload, [4, 5]);
            return new CreateBackupResult(2, new Dictionary<string, string> { ["backup_type"] = "incremental", ["from_lsn"] = "42" });
        });

        var backup = await RunAsync(instance, parent);

        Assert.Equal(BackupStatus.Completed, backup.Status);
        Assert.Equal(parent.Id, backup.ParentId);
        Assert.Equal(parent.Id, seen!.Parent!.BackupId);
        Assert.Equal(new Dictionary<string, string> { ["to_lsn"] = "42" }, seen.Parent.Metadata);
    }

    [Fact]
    public async Task AnIncrementalWhoseParentWasDeletedBeforeItRan_Fails_WithoutAskingTheGuest()
    {
        var instance = await _bed.AddInstanceAsync("p1");
        var parent = await _bed.AddCompletedBackupAsync(instance, [1, 2, 3]);
        Assert.True(await _bed.Backups.TryMarkDeletedAsync(parent.Id, default));
        var asked = false;
        await using var guest = await GuestAsync(instance, _ =>
        {
            asked = true;
            return Task.FromResult(new CreateBackupResult(1, new Dictionary<string, string>()));
        });

        var backup = await RunAsync(instance, parent);

        Assert.Equal(BackupStatus.Failed, backup.Status);
        Assert.Equal($"The backup it builds on, {parent.Id}, was deleted or is no longer completed; take a full backup.", backup.Fault);
        Assert.False(asked, "the guest was asked to build on a deleted backup");
    }

    [Fact]
    public async Task GuestThatCannotBackUp_FailsTheBackupWithItsReason_AndTheInstanceIsIdleAgain()
    {
        var instance = await _bed.AddInstanceAsync("p1");
        await using var guest = await GuestAsync(instance,
            _ => throw new HandlerException(GuestErrorCodes.NotSupported, "The guest does not know 'create_backup'."));

        var backup = await RunAsync(instance);

        Assert.Equal(BackupStatus.Failed, backup.Status);
        Assert.Equal("The guest could not back up the database: The guest does not know 'create_backup'.", backup.Fault);
        Assert.Equal(InstanceTask.None, (await _bed.Instances.GetAsync(instance.Id, default))!.Task);
        Assert.Equal(0, _bed.Tokens.Outstanding);
    }

    [Fact]
    public async Task APendingRestart_IsStillPendingAfterTheBackup()
    {
        var instance = await _bed.AddInstanceAsync("p1", task: InstanceTask.RestartRequired);
        await using var guest = await GuestAsync(instance, async request =>
        {
            await UploadAsync(request.Upload, [1, 2, 3]);
            return new CreateBackupResult(3, new Dictionary<string, string>());
        });

        Assert.Equal(BackupStatus.Completed, (await RunAsync(instance)).Status);
        Assert.Equal(InstanceTask.RestartRequired, (await _bed.Instances.GetAsync(instance.Id, default))!.Task);
    }

    [Fact]
    public async Task GuestThatUploadsAndThenFails_LeavesNoData()
    {
        var instance = await _bed.AddInstanceAsync("p1");
        await using var guest = await GuestAsync(instance, async request =>
        {
            await UploadAsync(request.Upload, RandomNumberGenerator.GetBytes(1024 * 1024));
            throw new HandlerException(GuestErrorCodes.Internal, "mariadb-backup exited with code 1.");
        });

        var backup = await RunAsync(instance);

        Assert.Equal(BackupStatus.Failed, backup.Status);
        Assert.Contains("mariadb-backup exited with code 1.", backup.Fault, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(Path.Combine(_bed.Options.BackupDir, "p1")));
    }

    [Fact]
    public async Task GuestThatSucceedsWithoutUploading_FailsTheBackup()
    {
        var instance = await _bed.AddInstanceAsync("p1");
        await using var guest = await GuestAsync(instance, _ => Task.FromResult(new CreateBackupResult(1, new Dictionary<string, string>())));

        var backup = await RunAsync(instance);

        Assert.Equal(BackupStatus.Failed, backup.Status);
        Assert.Contains("never arrived whole", backup.Fault, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GuestProcessThatDies_FailsTheBackupWithoutWaitingForTheTimeout()
    {
        var instance = await _bed.AddInstanceAsync("p1");
        var called = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var guest = await GuestAsync(instance, async _ =>
        {
            called.TrySetResult();
            await Task.Delay(Timeout.Infinite, _stop.Token);
            throw new InvalidOperationException("unreachable");
        });

        var run = RunAsync(instance);
        await called.Task.WaitAsync(TimeSpan.FromSeconds(10));
        _compute.Running = false;
        var backup = await run;

        Assert.Equal(BackupStatus.Failed, backup.Status);
        Assert.Equal("The guest agent stopped while it was backing up the database.", backup.Fault);
        Assert.Equal(InstanceTask.None, (await _bed.Instances.GetAsync(instance.Id, default))!.Task);
    }

    [Fact]
    public async Task ABackupFoundBuildingWhenTheWorkflowStarts_WasInterrupted_AndFails_WithoutAskingTheGuest()
    {
        var instance = await _bed.AddInstanceAsync("p1");
        var asked = false;
        await using var guest = await GuestAsync(instance, _ =>
        {
            asked = true;
            return Task.FromResult(new CreateBackupResult(1, new Dictionary<string, string>()));
        });
        var version = (await _bed.Catalog.GetVersionAsync(instance.DatastoreVersionId, default))!;
        var backup = BackupBed.NewBackup(instance, version);
        var workflow = CreateBackupWorkflow.Create(backup, backup.Created);
        workflow.Status = WorkflowStatus.Succeeded; // inserted idle, so that the engine picks it up only once it looks resumed
        await _bed.Backups.TryBeginAsync(backup, workflow, InstanceTask.BackingUp, [InstanceTask.None], new Dictionary<string, int>(), default);
        await _bed.Backups.TryBeginBuildingAsync(backup.Id, default);
        await using (var connection = await _bed.Db.OpenAsync(default))
        {
            await Dapper.SqlMapper.ExecuteAsync(connection, "UPDATE workflows SET status = 'RUNNING' WHERE id = @Id", new { workflow.Id });
        }

        _engine.Poke();

        var failed = await UntilEndedAsync(backup.Id);

        Assert.Equal(BackupStatus.Failed, failed.Status);
        Assert.Equal(CreateBackupWorkflow.Interrupted, failed.Fault);
        Assert.False(asked, "a resumed backup asked the guest again");
        await Poll.UntilAsync(async () => (await _bed.Instances.GetAsync(instance.Id, default))!.Task == InstanceTask.None,
            "The instance did not leave BACKUP");
    }

    /// <summary>Starts a backup as the API does and waits for it to end, and for the instance to be back at its task.</summary>
    private async Task<BackupRecord> RunAsync(InstanceRecord instance, BackupRecord? parent = null)
    {
        var version = (await _bed.Catalog.GetVersionAsync(instance.DatastoreVersionId, default))!;
        var backup = BackupBed.NewBackup(instance, version);
        backup.ParentId = parent?.Id;
        var (begun, _) = await _bed.Backups.TryBeginAsync(backup, CreateBackupWorkflow.Create(backup, backup.Created, instance.Task),
            InstanceTask.BackingUp, [instance.Task], new Dictionary<string, int>(), default);
        Assert.True(begun);
        _engine.Poke();
        var ended = await UntilEndedAsync(backup.Id);
        await Poll.UntilAsync(async () => (await _bed.Instances.GetAsync(instance.Id, default))!.Task == instance.Task,
            $"The instance did not go back from BACKUP to {instance.Task}");
        return ended;
    }

    private async Task<BackupRecord> UntilEndedAsync(string id)
    {
        BackupRecord? backup = null;
        await Poll.UntilAsync(async () =>
        {
            backup = await _bed.Backups.GetAsync(id, default);
            return backup is { Status: BackupStatus.Completed or BackupStatus.Failed };
        }, $"Backup {id} did not end", 30);
        return backup!;
    }

    private Task<IAsyncDisposable> GuestAsync(InstanceRecord instance, Func<CreateBackupRequest, Task<CreateBackupResult>> createBackup) =>
        _bus.SubscribeAsync(BusTopics.Guest(instance.Id), async (message, _) =>
        {
            Assert.Equal(GuestMethods.CreateBackup, message.Method);
            var result = await createBackup(HoardJson.FromElement<CreateBackupRequest>(message.Args));
            return HoardJson.ToElement(result);
        }, default);

    private async Task UploadAsync(BackupTransfer upload, byte[] data)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, upload.Url) { Content = new StreamContent(new MemoryStream(data)) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/zstd");
        request.Headers.Add(BackupStrategies.TokenHeader, upload.Token);
        using var response = await _http.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, $"The upload was refused: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(64, body.RootElement.GetProperty("checksum").GetString()!.Length);
    }
}

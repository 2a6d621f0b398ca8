using System.Text.Json.Nodes;
using Hoard.Core.Backups;
using Hoard.Core.Instances;
using Hoard.Core.Workflows;
using Hoard.Server.Apis;
using Hoard.Server.TaskManager;
using Hoard.Server.TaskManager.Workflows;
using Hoard.Server.Trove;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hoard.Core.Tests.Server.Backups;

/// <summary>
/// Which backup an incremental builds on (Trove's rules: <c>parent_id</c> names it, <c>incremental: 1</c> takes the
/// instance's latest COMPLETED backup, or none), what is refused, and the delete of a chain; against a real state DB.
/// </summary>
public sealed class IncrementalBackupsApiTests : IAsyncLifetime
{
    private BackupBed _bed = null!;
    private WorkflowEngine _engine = null!;

    public async Task InitializeAsync()
    {
        _bed = await BackupBed.CreateAsync();
        _engine = new WorkflowEngine(_bed.Workflows, [], TimeProvider.System, NullLogger<WorkflowEngine>.Instance);
    }

    public async Task DisposeAsync() => await _bed.DisposeAsync();

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public async Task ParentId_OfACompletedBackupOfTheInstance_MakesAChildOfIt_WhateverIncrementalSays(int incremental)
    {
        var instance = await _bed.AddInstanceAsync("p1");
        var full = await _bed.AddCompletedBackupAsync(instance, [1]);
        await _bed.AddCompletedBackupAsync(instance, [2]);

        var view = await CreateAsync(instance, $$$"""{"parent_id":"{{{full.Id}}}","incremental":{{{incremental}}}}""");

        Assert.Equal(full.Id, view["parent_id"]!.GetValue<string>());
        Assert.Equal(full.Id, (await _bed.Backups.GetAsync(view["id"]!.GetValue<string>(), default))!.ParentId);
        Assert.Equal(InstanceTask.BackingUp, (await _bed.Instances.GetAsync(instance.Id, default))!.Task);
    }

    [Fact]
    public async Task Incremental_BuildsOnTheInstancesLatestCompletedBackup_NotOnAFailedOneOrAnotherInstances()
    {
        var instance = await _bed.AddInstanceAsync("p1");
        var other = await _bed.AddInstanceAsync("p1");
        var full = await _bed.AddCompletedBackupAsync(instance, [1]);
        var child = await _bed.AddCompletedBackupAsync(instance, [2], parent: full);
        await AddFailedBackupAsync(instance);
        await _bed.AddCompletedBackupAsync(other, [3]);

        var view = await CreateAsync(instance, """{"incremental":1}""");

        Assert.Equal(child.Id, view["parent_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Incremental_OnAnInstanceWithoutACompletedBackup_IsAFullBackup()
    {
        var instance = await _bed.AddInstanceAsync("p1");
        await AddFailedBackupAsync(instance);

        var view = await CreateAsync(instance, """{"incremental":1}""");

        Assert.Null(view["parent_id"]);
        Assert.Equal("NEW", view["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task ParentId_ThatIsUnknown_OrOfAnotherProject_Is404_AndCreatesNothing()
    {
        var instance = await _bed.AddInstanceAsync("p1");
        var theirs = await _bed.AddCompletedBackupAsync(await _bed.AddInstanceAsync("p2"), [1]);
        var unknown = Guid.NewGuid().ToString();

        var fault = await RefusedAsync(instance, $$$"""{"parent_id":"{{{unknown}}}"}""");
        Assert.Equal((404, $"Backup {unknown} could not be found."), (fault.Code, fault.Message));
        fault = await RefusedAsync(instance, $$$"""{"parent_id":"{{{theirs.Id}}}"}""");
        Assert.Equal((404, $"Backup {theirs.Id} could not be found."), (fault.Code, fault.Message));
    }

    [Fact]
    public async Task ParentId_OfAnotherInstance_OrNotCompleted_Is400_AndCreatesNothing()
    {
        var instance = await _bed.AddInstanceAsync("p1");
        var others = await _bed.AddCompletedBackupAsync(await _bed.AddInstanceAsync("p1"), [1]);
        var failed = await AddFailedBackupAsync(instance);

        var fault = await RefusedAsync(instance, $$$"""{"parent_id":"{{{others.Id}}}"}""");
        Assert.Equal(400, fault.Code);
        Assert.StartsWith($"Backup {others.Id} is a backup of another instance", fault.Message, StringComparison.Ordinal);
        fault = await RefusedAsync(instance, $$$"""{"parent_id":"{{{failed.Id}}}"}""");
        Assert.Equal((400, $"Backup {failed.Id} is not completed (status FAILED); an incremental backup can only build on a completed backup."),
            (fault.Code, fault.Message));
    }

    [Theory]
    [InlineData("postgresql", "pg_basebackup")]
    [InlineData("redis", "redis-rdb")]
    public async Task Incremental_OfADatastoreWhoseStrategyTakesFullBackupsOnly_Is400NamingTheDatastore(string datastore, string strategy)
    {
        var instance = await _bed.AddInstanceAsync("p1", datastore);
        var full = await _bed.AddCompletedBackupAsync(instance, [1]);

        foreach (var body in new[] { """{"incremental":1}""", $$$"""{"parent_id":"{{{full.Id}}}"}""" })
        {
            var fault = await RefusedAsync(instance, body, existing: 1);
            Assert.Equal((400, "badRequest"), (fault.Code, fault.Name));
            Assert.Equal($"The 'incremental backup' operation is not supported for the '{datastore}' datastore: its backup strategy, " +
                         $"{strategy}, takes full backups only. Take a full backup.", fault.Message);
        }
    }

    [Fact]
    public async Task Delete_OfABackup_DeletesEveryBackupBuiltOnIt_AndItsData_ButNotItsParent()
    {
        var instance = await _bed.AddInstanceAsync("p1");
        var full = await _bed.AddCompletedBackupAsync(instance, [1]);
        var child = await _bed.AddCompletedBackupAsync(instance, [2], parent: full);
        var grandchild = await _bed.AddCompletedBackupAsync(instance, [3], parent: child);
        var sibling = await _bed.AddCompletedBackupAsync(instance, [4], parent: full);

        Assert.Equal(202, await DeleteAsync(child));

        Assert.Null(await _bed.Backups.GetAsync(child.Id, default));
        Assert.Null(await _bed.Backups.GetAsync(grandchild.Id, default));
        Assert.NotNull(await _bed.Backups.GetAsync(full.Id, default));
        Assert.NotNull(await _bed.Backups.GetAsync(sibling.Id, default));
        Assert.Equal(new[] { full.Id, sibling.Id }.Order(), Directory.GetFiles(Path.Combine(_bed.Options.BackupDir, "p1")).Select(f => Path.GetFileName(f)).Order());

        Assert.Equal(202, await DeleteAsync(full));
        Assert.Empty(Directory.GetFiles(Path.Combine(_bed.Options.BackupDir, "p1")));
        Assert.Empty(await _bed.Backups.ListAsync("p1", null, null, 100, null, default));
    }

    [Fact]
    public async Task Delete_WhileABackupBuiltOnItRuns_Is422_AndDeletesNothing()
    {
        var instance = await _bed.AddInstanceAsync("p1");
        var full = await _bed.AddCompletedBackupAsync(instance, [1]);
        var child = await _bed.AddCompletedBackupAsync(instance, [2], parent: full);
        var running = await CreateAsync(instance, $$$"""{"parent_id":"{{{child.Id}}}"}""");

        var fault = await Assert.ThrowsAsync<TroveFault>(() => DeleteAsync(full));

        Assert.Equal(422, fault.Code);
        Assert.Equal($"Backup {running["id"]!.GetValue<string>()}, built on backup {full.Id}, is still running (status NEW); delete once it has ended.",
            fault.Message);
        Assert.Equal(3, (await _bed.Backups.ListAsync("p1", null, null, 100, null, default)).Count);
        Assert.Equal(2, Directory.GetFiles(Path.Combine(_bed.Options.BackupDir, "p1")).Length);
    }

    private async Task<BackupRecord> AddFailedBackupAsync(InstanceRecord instance)
    {
        var version = (await _bed.Catalog.GetVersionAsync(instance.DatastoreVersionId, default))!;
        var backup = BackupBed.NewBackup(instance, version);
        var workflow = CreateBackupWorkflow.Create(backup, backup.Created);
        workflow.Status = WorkflowStatus.Failed;
        Assert.True((await _bed.Backups.TryBeginAsync(backup, workflow, InstanceTask.BackingUp, [instance.Task], new Dictionary<string, int>(), default)).Begun);
        await _bed.Instances.SetTaskAsync(instance.Id, instance.Task, default);
        Assert.True(await _bed.Backups.TryFailAsync(backup.Id, "it broke", default));
        return (await _bed.Backups.GetAsync(backup.Id, default))!;
    }

    /// <param name="fields">The create body's fields besides <c>name</c> and <c>instance</c>, as a JSON object.</param>
    private async Task<JsonObject> CreateAsync(InstanceRecord instance, string fields)
    {
        var (status, body) = await PostAsync(instance, fields);
        Assert.Equal(202, status);
        return body["backup"]!.AsObject();
    }

    private async Task<TroveFault> RefusedAsync(InstanceRecord instance, string fields, int existing = -1)
    {
        var before = (await _bed.Backups.ListAsync(null, null, null, 100, null, default)).Count;
        var fault = await Assert.ThrowsAsync<TroveFault>(() => PostAsync(instance, fields));
        Assert.Equal(existing < 0 ? before : existing, (await _bed.Backups.ListAsync(null, null, null, 100, null, default)).Count);
        Assert.Equal(InstanceTask.None, (await _bed.Instances.GetAsync(instance.Id, default))!.Task);
        return fault;
    }

    private async Task<(int Status, JsonObject Body)> PostAsync(InstanceRecord instance, string fields)
    {
        var extra = JsonNode.Parse(fields)!.AsObject();
        var backup = new JsonObject { ["name"] = "b", ["instance"] = instance.Id };
        foreach (var (key, value) in extra.ToList())
        {
            extra.Remove(key);
            backup[key] = value;
        }

        var http = _bed.Request(BackupBed.Token(instance.ProjectId), new JsonObject { ["backup"] = backup }.ToJsonString());
        var result = await BackupsApi.CreateAsync(http, new InstanceAccess(_bed.Instances, _bed.Catalog), _bed.Pipeline,
            new BackupStarter(_bed.Catalog, _bed.Backups, _bed.Strategies, _bed.Pipeline, _engine, _bed.OptionsWrapper, TimeProvider.System), default);
        return await ExecuteAsync(http, result);
    }

    private async Task<int> DeleteAsync(BackupRecord backup)
    {
        var http = _bed.Request(BackupBed.Token(backup.ProjectId));
        return (await ExecuteAsync(http, await BackupsApi.DeleteAsync(http, backup.Id, _bed.Backups,
            new BackupDeleter(_bed.Backups, _bed.Pipeline, NullLogger<BackupDeleter>.Instance), default))).Status;
    }

    private static async Task<(int Status, JsonObject Body)> ExecuteAsync(HttpContext http, IResult result)
    {
        http.RequestServices = new ServiceCollection().AddLogging().BuildServiceProvider();
        var output = new MemoryStream();
        http.Response.Body = output;
        await result.ExecuteAsync(http);
        var text = System.Text.Encoding.UTF8.GetString(output.ToArray());
        return (http.Response.StatusCode, text.Length == 0 ? [] : JsonNode.Parse(text)!.AsObject());
    }
}

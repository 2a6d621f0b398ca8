using System.Text.Json.Nodes;
using Hoard.Contracts.Guest;
using Hoard.Core.Backups;
using Hoard.Core.Identity;
using Hoard.Core.Instances;
using Hoard.Core.Workflows;
using Hoard.Persistence;
using Hoard.Server.Apis;
using Hoard.Server.TaskManager;
using Hoard.Server.Trove;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hoard.Core.Tests.Server.Backups;

/// <summary>
/// The backups API's checks against a real state DB: every refusal leaves no backup, no workflow and the instance's task
/// as it was.
/// </summary>
public sealed class BackupsApiTests : IAsyncLifetime
{
    private BackupBed _bed = null!;
    private WorkflowEngine _engine = null!;

    public async Task InitializeAsync()
    {
        _bed = await BackupBed.CreateAsync();
        _engine = new WorkflowEngine(_bed.Workflows, [], TimeProvider.System, NullLogger<WorkflowEngine>.Instance);
    }

    public async Task DisposeAsync() => await _bed.DisposeAsync();

    [Fact]
    public async Task Create_OnAnActiveInstance_Answers202WithANewBackup_AndStartsTheWorkflow()
    {
        var instance = await _bed.AddInstanceAsync("p1");
        var (status, body) = await CreateAsync("p1", $$$"""{"backup":{"name":"nightly","instance":"{{{instance.Id}}}","description":"before upgrade","incremental":0}}""");

        Assert.Equal(202, status);
        var view = body["backup"]!;
        Assert.Equal(("nightly", "before upgrade", "NEW", instance.Id, "p1", "local"), (view["name"]!.GetValue<string>(),
            view["description"]!.GetValue<string>(), view["status"]!.GetValue<string>(), view["instance_id"]!.GetValue<string>(),
            view["project_id"]!.GetValue<string>(), view["storage_driver"]!.GetValue<string>()));
        Assert.Equal("""{"type":"mariadb","version":"10.11","version_id":"5f0c7d1e-2b3a-4c5d-8e9f-0a1b2c3d4e51"}""", view["datastore"]!.ToJsonString());
        Assert.Null(view["size"]);
        Assert.Null(view["parent_id"]);
        var id = view["id"]!.GetValue<string>();
        Assert.Equal(BackupStatus.New, (await _bed.Backups.GetAsync(id, default))!.Status);
        Assert.Equal(InstanceTask.BackingUp, (await _bed.Instances.GetAsync(instance.Id, default))!.Task);
        Assert.Contains(await _bed.Workflows.ListRunningAsync(default), w => w.Type == "create_backup" && w.Data.Contains(id, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("""{"backup":{"instance":"INSTANCE"}}""", "backup.name is a required property")]
    [InlineData("""{"backup":{"name":"---","instance":"INSTANCE"}}""", "at least one letter or digit")]
    [InlineData("""{"backup":{"name":"b"}}""", "backup.instance is a required property")]
    [InlineData("""{"backup":{"name":"b","instance":"not-a-uuid"}}""", "not a valid UUID")]
    [InlineData("""{"backup":{"name":"b","instance":"INSTANCE","incremental":"1"}}""", "backup.incremental must be 0 or 1")]
    [InlineData("""{"backup":{"name":"b","instance":"INSTANCE","incremental":2}}""", "backup.incremental must be 0 or 1")]
    [InlineData("""{"backup":{"name":"b","instance":"INSTANCE","description":""}}""", "backup.description must not be empty")]
    [InlineData("""{"backup":{"name":"b","instance":"INSTANCE","parent_id":"x"}}""", "not a valid UUID")]
    [InlineData("""{"name":"b"}""", "'backup' is a required object")]
    [InlineData("""{"backup":{"name":"b","instance":"INSTANCE","strategy":"pg_dump"}}""",
        "Backup strategy 'pg_dump' is not available for datastore mariadb 10.11; choose one of: mariadb-backup, mariadb-dump.")]
    [InlineData("""{"backup":{"name":"b","instance":"INSTANCE","strategy":"mariadb-dump","incremental":1}}""",
        "not supported with backup strategy 'mariadb-dump'")]
    public async Task Create_BadBody_Is400_AndCreatesNothing(string body, string reason) =>
        await RefusedAsync(body, 400, reason);

    [Theory]
    [InlineData(null, "mariadb-backup")]
    [InlineData("mariadb-backup", "mariadb-backup")]
    [InlineData("mariadb-dump", "mariadb-dump")]
    public async Task Create_WithAnAllowedStrategy_RecordsAndShowsIt(string? strategy, string expected)
    {
        var instance = await _bed.AddInstanceAsync("p1");
        var field = strategy is null ? "" : $$$""","strategy":"{{{strategy}}}" """;
        var (status, body) = await CreateAsync("p1", $$$"""{"backup":{"name":"b","instance":"{{{instance.Id}}}"{{{field}}}}}""");

        Assert.Equal(202, status);
        Assert.Equal(expected, body["backup"]!["strategy"]!.GetValue<string>());
        Assert.Equal(expected, (await _bed.Backups.GetAsync(body["backup"]!["id"]!.GetValue<string>(), default))!.Strategy);
    }

    [Theory]
    [InlineData("""{"backup":{"name":"b","restore_from":{"remote_location":"x"}}}""", "restore_from")]
    [InlineData("""{"backup":{"name":"b","instance":"INSTANCE","swift_container":"c"}}""", "swift_container")]
    [InlineData("""{"backup":{"name":"b","instance":"INSTANCE","storage_driver":"swift"}}""", "'swift' is not available")]
    public async Task Create_UnsupportedFeature_Is501_AndCreatesNothing(string body, string reason) =>
        await RefusedAsync(body, 501, reason);

    [Theory]
    [InlineData(InstanceTask.Building, ServiceStatus.Building, ServerStatus.Build)]
    [InlineData(InstanceTask.Resizing, ServiceStatus.Healthy, ServerStatus.Active)]
    [InlineData(InstanceTask.BackingUp, ServiceStatus.Healthy, ServerStatus.Active)]
    [InlineData(InstanceTask.None, ServiceStatus.Shutdown, ServerStatus.Active)]
    [InlineData(InstanceTask.BuildingError, ServiceStatus.Failed, ServerStatus.Error)]
    public async Task Create_OnAnInstanceThatIsNotActiveAndIdle_Is422_AndCreatesNothing(InstanceTask task, ServiceStatus service, ServerStatus server)
    {
        var instance = await _bed.AddInstanceAsync("p1", task: task, service: service, server: server);
        await RefusedAsync($$$"""{"backup":{"name":"b","instance":"{{{instance.Id}}}"}}""", 422, "is not currently available for an action", instance);
        Assert.Equal(task, (await _bed.Instances.GetAsync(instance.Id, default))!.Task);
    }

    [Fact]
    public async Task Create_ForAnotherProjectsOrAnUnknownInstance_Is404()
    {
        var others = await _bed.AddInstanceAsync("p2");
        await RefusedAsync($$$"""{"backup":{"name":"b","instance":"{{{others.Id}}}"}}""", 404, "could not be found", others);
        await RefusedAsync($$$"""{"backup":{"name":"b","instance":"{{{Guid.NewGuid()}}}"}}""", 404, "could not be found");
    }

    [Fact]
    public async Task Create_OverTheBackupQuota_Is413NamingBackups_AndCreatesNothing()
    {
        var instance = await _bed.AddInstanceAsync("p1");
        await _bed.AddCompletedBackupAsync(instance, [1, 2, 3]);
        await _bed.Quotas.SetLimitsAsync("p1", new Dictionary<string, int> { [QuotaStore.Backups] = 1 }, default);

        await RefusedAsync($$$"""{"backup":{"name":"b","instance":"{{{instance.Id}}}"}}""", 413, "Quota exceeded for resources: ['backups'].", instance, existing: 1);
        Assert.Equal(InstanceTask.None, (await _bed.Instances.GetAsync(instance.Id, default))!.Task);
    }

    [Fact]
    public async Task Create_ByAReader_Is403()
    {
        var instance = await _bed.AddInstanceAsync("p1");
        var fault = await Assert.ThrowsAsync<TroveFault>(() => CreateAsync("p1", $$$"""{"backup":{"name":"b","instance":"{{{instance.Id}}}"}}""", RoleNames.Reader));
        Assert.Equal(403, fault.Code);
    }

    [Fact]
    public async Task List_AllProjects_IsForAdminsOnly_AndTheDatastoreFilterMustExist()
    {
        var mine = await _bed.AddCompletedBackupAsync(await _bed.AddInstanceAsync("p1"), [1]);
        var theirs = await _bed.AddCompletedBackupAsync(await _bed.AddInstanceAsync("p2", "redis"), [2]);

        Assert.Equal([mine.Id], await ListAsync(BackupBed.Token("p1")));
        var fault = await Assert.ThrowsAsync<TroveFault>(() => ListAsync(BackupBed.Token("p1"), "?all_projects=True"));
        Assert.Equal(403, fault.Code);
        fault = await Assert.ThrowsAsync<TroveFault>(() => ListAsync(BackupBed.Token("p1"), "?project_id=p2"));
        Assert.Equal(403, fault.Code);
        Assert.Equal([theirs.Id, mine.Id], await ListAsync(BackupBed.Token("p1", RoleNames.Admin), "?all_projects=True"));
        Assert.Equal([theirs.Id], await ListAsync(BackupBed.Token("p1", RoleNames.Admin), "?all_projects=True&datastore=redis"));
        Assert.Equal([theirs.Id], await ListAsync(BackupBed.Token("p1", RoleNames.Admin), "?project_id=p2"));
        Assert.Empty(await ListAsync(BackupBed.Token("p1"), "?datastore=redis"));
        fault = await Assert.ThrowsAsync<TroveFault>(() => ListAsync(BackupBed.Token("p1"), "?datastore=oracle"));
        Assert.Equal(404, fault.Code);
    }

    [Fact]
    public async Task Delete_RemovesTheDataAndTheRow_ButNotWhileTheBackupRuns()
    {
        var instance = await _bed.AddInstanceAsync("p1");
        var done = await _bed.AddCompletedBackupAsync(instance, [1, 2, 3]);
        var file = Path.Combine(_bed.Options.BackupDir, "p1", done.Id);
        Assert.True(File.Exists(file));

        var fault = await Assert.ThrowsAsync<TroveFault>(() => DeleteAsync(BackupBed.Token("p2"), done.Id));
        Assert.Equal(404, fault.Code);
        Assert.Equal(202, await DeleteAsync(BackupBed.Token("p1"), done.Id));
        Assert.False(File.Exists(file));
        Assert.Null(await _bed.Backups.GetAsync(done.Id, default));

        var (status, body) = await CreateAsync("p1", $$$"""{"backup":{"name":"b","instance":"{{{instance.Id}}}"}}""");
        Assert.Equal(202, status);
        fault = await Assert.ThrowsAsync<TroveFault>(() => DeleteAsync(BackupBed.Token("p1"), body["backup"]!["id"]!.GetValue<string>()));
        Assert.Equal((422, "unprocessableEntity"), (fault.Code, fault.Name));
        Assert.Contains("still running", fault.Message, StringComparison.Ordinal);
    }

    private async Task RefusedAsync(string body, int code, string reason, InstanceRecord? instance = null, int existing = 0)
    {
        instance ??= await _bed.AddInstanceAsync("p1");
        var fault = await Assert.ThrowsAsync<TroveFault>(() => CreateAsync("p1", body.Replace("INSTANCE", instance.Id, StringComparison.Ordinal)));
        Assert.Equal(code, fault.Code);
        Assert.Contains(reason, fault.Message, StringComparison.Ordinal);
        Assert.Equal(existing, (await _bed.Backups.ListAsync(null, null, null, 100, null, default)).Count);
        Assert.DoesNotContain(await _bed.Workflows.ListRunningAsync(default), w => w.Type == "create_backup");
    }

    private async Task<(int Status, JsonObject Body)> CreateAsync(string project, string body, string role = RoleNames.Member)
    {
        var http = _bed.Request(BackupBed.Token(project, role), body);
        var result = await BackupsApi.CreateAsync(http, new InstanceAccess(_bed.Instances, _bed.Catalog), _bed.Pipeline,
            new BackupStarter(_bed.Catalog, _bed.Backups, _bed.Strategies, _bed.Pipeline, _engine, _bed.OptionsWrapper, TimeProvider.System), default);
        return await ExecuteAsync(http, result);
    }

    private async Task<List<string>> ListAsync(TokenInfo token, string query = "")
    {
        var http = _bed.Request(token, query: query);
        var (_, body) = await ExecuteAsync(http, await BackupsApi.ListAsync(http, _bed.Backups, _bed.Catalog, default));
        return [.. body["backups"]!.AsArray().Select(b => b!["id"]!.GetValue<string>())];
    }

    private async Task<int> DeleteAsync(TokenInfo token, string id)
    {
        var http = _bed.Request(token);
        return (await ExecuteAsync(http, await BackupsApi.DeleteAsync(http, id, _bed.Backups,
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

using System.Text.Json.Nodes;
using Hoard.Core.Backups;
using Hoard.Core.Identity;
using Hoard.Core.Tests.Backups;
using Hoard.Persistence;
using Hoard.Server.Apis;
using Hoard.Server.Identity;
using Hoard.Server.Trove;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Hoard.Core.Tests.Server.Backups;

/// <summary>The backup schedule API against a real state DB: what it stores and shows, and every refusal leaving nothing changed.</summary>
public sealed class BackupScheduleApiTests : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.Parse("2026-12-01T03:17:42Z");
    private readonly ManualTime _time = new(T0);
    private BackupBed _bed = null!;
    private BackupScheduleStore _schedules = null!;

    public async Task InitializeAsync()
    {
        _bed = await BackupBed.CreateAsync();
        _schedules = new BackupScheduleStore(_bed.Db, _time);
    }

    public async Task DisposeAsync() => await _bed.DisposeAsync();

    [Fact]
    public async Task Put_ACron_StoresIt_AndShowsTheNextRunInUtc_ThenGetAndDelete()
    {
        var instance = await _bed.AddInstanceAsync("p1");
        var (status, body) = await PutAsync("p1", instance.Id,
            """{"backup_schedule":{"cron":"0 3 * * *","window_minutes":60,"retention":{"count":7,"days":14}}}""");
        Assert.Equal(200, status);
        var view = body["backup_schedule"]!;
        const string Expected = """
            {"instance_id":"ID","cron":"0 3 * * *","interval_minutes":null,"window_minutes":60,"retention":{"count":7,"days":14},"incremental":false,"enabled":true,"next_run":"2026-12-02T03:00:00","last_run":null,"created":"2026-12-01T03:17:42","updated":"2026-12-01T03:17:42"}
            """;
        Assert.Equal(Expected, view.ToJsonString().Replace(instance.Id, "ID", StringComparison.Ordinal));

        var (shown, got) = await SendAsync(BackupBed.Token("p1", RoleNames.Reader), instance.Id, null,
            (http, access) => BackupScheduleApi.ShowAsync(http, instance.Id, access, _schedules, default));
        Assert.Equal((200, view.ToJsonString()), (shown, got["backup_schedule"]!.ToJsonString()));

        Assert.Equal(202, (await DeleteAsync("p1", instance.Id)).Status);
        Assert.Null(await _schedules.GetAsync(instance.Id, default));
        Assert.Equal(404, (await Assert.ThrowsAsync<TroveFault>(() => DeleteAsync("p1", instance.Id))).Code);
        Assert.Equal(404, (await Assert.ThrowsAsync<TroveFault>(() => SendAsync(BackupBed.Token("p1"), instance.Id, null,
            (http, access) => BackupScheduleApi.ShowAsync(http, instance.Id, access, _schedules, default)))).Code);
    }

    [Fact]
    public async Task Put_AnInterval_RunsFirstOneIntervalLater_AndAChangeOfRetentionOnly_KeepsTheNextRun()
    {
        var instance = await _bed.AddInstanceAsync("p1");
        await PutAsync("p1", instance.Id, """{"backup_schedule":{"interval_minutes":360,"retention":{"count":3}}}""");
        Assert.Equal(T0.AddHours(6), (await _schedules.GetAsync(instance.Id, default))!.NextRun);

        _time.Now = T0.AddHours(1);
        var (_, body) = await PutAsync("p1", instance.Id, """{"backup_schedule":{"interval_minutes":360,"retention":{"days":3},"window_minutes":30}}""");
        Assert.Equal("2026-12-01T09:17:42", body["backup_schedule"]!["next_run"]!.GetValue<string>());
        var stored = (await _schedules.GetAsync(instance.Id, default))!;
        Assert.Equal((T0, T0.AddHours(1), (int?)null, (int?)3, (int?)30), (stored.Created, stored.Updated, stored.RetentionCount, stored.RetentionDays,
            stored.WindowMinutes));

        await PutAsync("p1", instance.Id, """{"backup_schedule":{"interval_minutes":60,"retention":{"days":3}}}""");
        Assert.Equal(T0.AddHours(2), (await _schedules.GetAsync(instance.Id, default))!.NextRun);

        (_, body) = await PutAsync("p1", instance.Id, """{"backup_schedule":{"interval_minutes":60,"retention":{"days":3},"enabled":false}}""");
        Assert.Null(body["backup_schedule"]!["next_run"]);
        Assert.False((await _schedules.GetAsync(instance.Id, default))!.Enabled);
    }

    [Theory]
    [InlineData("""{"schedule":{}}""", "'backup_schedule' is a required object")]
    [InlineData("""{"backup_schedule":{"retention":{"count":1}}}""", "needs exactly one of 'cron' and 'interval_minutes'")]
    [InlineData("""{"backup_schedule":{"cron":"0 3 * * *","interval_minutes":60,"retention":{"count":1}}}""", "needs exactly one of")]
    [InlineData("""{"backup_schedule":{"cron":"0 3 * *","retention":{"count":1}}}""", "backup_schedule.cron: a cron expression has 5 fields")]
    [InlineData("""{"backup_schedule":{"cron":"0 25 * * *","retention":{"count":1}}}""", "backup_schedule.cron: cron hour '25': 25 is out of range 0-23")]
    [InlineData("""{"backup_schedule":{"cron":"0 0 30 2 *","retention":{"count":1}}}""", "never occurs")]
    [InlineData("""{"backup_schedule":{"cron":3,"retention":{"count":1}}}""", "backup_schedule.cron must be a string")]
    [InlineData("""{"backup_schedule":{"interval_minutes":4,"retention":{"count":1}}}""", "backup_schedule.interval_minutes must be from 5 to 527040; it was 4")]
    [InlineData("""{"backup_schedule":{"interval_minutes":"60","retention":{"count":1}}}""", "backup_schedule.interval_minutes must be an integer")]
    [InlineData("""{"backup_schedule":{"interval_minutes":60.5,"retention":{"count":1}}}""", "backup_schedule.interval_minutes must be an integer")]
    [InlineData("""{"backup_schedule":{"interval_minutes":60}}""", "backup_schedule.retention is a required property")]
    [InlineData("""{"backup_schedule":{"interval_minutes":60,"retention":{}}}""", "backup_schedule.retention needs 'count', 'days' or both")]
    [InlineData("""{"backup_schedule":{"interval_minutes":60,"retention":{"count":0}}}""", "backup_schedule.retention.count must be from 1 to 1000; it was 0")]
    [InlineData("""{"backup_schedule":{"interval_minutes":60,"retention":{"days":-1}}}""", "backup_schedule.retention.days must be from 1")]
    [InlineData("""{"backup_schedule":{"interval_minutes":60,"retention":{"count":1,"weeks":2}}}""", "backup_schedule.retention has an unexpected property 'weeks'")]
    [InlineData("""{"backup_schedule":{"interval_minutes":60,"retention":7}}""", "backup_schedule.retention must be an object")]
    [InlineData("""{"backup_schedule":{"interval_minutes":60,"window_minutes":0,"retention":{"count":1}}}""", "backup_schedule.window_minutes must be from 1")]
    [InlineData("""{"backup_schedule":{"interval_minutes":60,"incremental":1,"retention":{"count":1}}}""", "backup_schedule.incremental must be a boolean")]
    [InlineData("""{"backup_schedule":{"interval_minutes":60,"enabled":"yes","retention":{"count":1}}}""", "backup_schedule.enabled must be a boolean")]
    [InlineData("""{"backup_schedule":{"interval_minutes":60,"start":"03:00","retention":{"count":1}}}""", "unexpected property 'start'")]
    public async Task Put_BadBody_Is400_AndChangesNothing(string body, string reason)
    {
        var instance = await _bed.AddInstanceAsync("p1");
        await PutAsync("p1", instance.Id, """{"backup_schedule":{"cron":"15 1 * * SUN","retention":{"count":2}}}""");
        var before = (await _schedules.GetAsync(instance.Id, default))!;

        var fault = await Assert.ThrowsAsync<TroveFault>(() => PutAsync("p1", instance.Id, body));
        Assert.Equal((400, "badRequest"), (fault.Code, fault.Name));
        Assert.Contains(reason, fault.Message, StringComparison.Ordinal);
        Assert.StartsWith("Validation error: ", fault.Message, StringComparison.Ordinal);
        var after = (await _schedules.GetAsync(instance.Id, default))!;
        Assert.Equal((before.Cron, before.RetentionCount, before.NextRun, before.Updated), (after.Cron, after.RetentionCount, after.NextRun, after.Updated));
    }

    [Fact]
    public async Task Put_Incremental_OnADatastoreWithFullBackupsOnly_Is400()
    {
        var instance = await _bed.AddInstanceAsync("p1", datastore: "redis");
        var fault = await Assert.ThrowsAsync<TroveFault>(() =>
            PutAsync("p1", instance.Id, """{"backup_schedule":{"interval_minutes":60,"incremental":true,"retention":{"count":1}}}"""));
        Assert.Equal(400, fault.Code);
        Assert.Contains("takes full backups only", fault.Message, StringComparison.Ordinal);
        Assert.Null(await _schedules.GetAsync(instance.Id, default));
    }

    [Fact]
    public async Task Readers_SeeButCannotSetOrRemove_AndOtherProjectsGet404()
    {
        var instance = await _bed.AddInstanceAsync("p1");
        const string Body = """{"backup_schedule":{"interval_minutes":60,"retention":{"count":1}}}""";
        Assert.Equal(403, (await Assert.ThrowsAsync<TroveFault>(() => PutAsync("p1", instance.Id, Body, RoleNames.Reader))).Code);
        Assert.Null(await _schedules.GetAsync(instance.Id, default));
        Assert.Equal(404, (await Assert.ThrowsAsync<TroveFault>(() => PutAsync("p2", instance.Id, Body))).Code);
        Assert.Null(await _schedules.GetAsync(instance.Id, default));

        await PutAsync("p1", instance.Id, Body);
        Assert.Equal(403, (await Assert.ThrowsAsync<TroveFault>(() => DeleteAsync("p1", instance.Id, RoleNames.Reader))).Code);
        Assert.Equal(404, (await Assert.ThrowsAsync<TroveFault>(() => DeleteAsync("p2", instance.Id))).Code);
        Assert.Equal(404, (await Assert.ThrowsAsync<TroveFault>(() => SendAsync(BackupBed.Token("p2"), instance.Id, null,
            (http, access) => BackupScheduleApi.ShowAsync(http, instance.Id, access, _schedules, default)))).Code);
        Assert.NotNull(await _schedules.GetAsync(instance.Id, default));
    }

    private Task<(int Status, JsonObject Body)> PutAsync(string project, string id, string body, string role = RoleNames.Member) =>
        SendAsync(BackupBed.Token(project, role), id, body,
            (http, access) => BackupScheduleApi.PutAsync(http, id, access, _bed.Catalog, _schedules, _time, default));

    private Task<(int Status, JsonObject Body)> DeleteAsync(string project, string id, string role = RoleNames.Member) =>
        SendAsync(BackupBed.Token(project, role), id, null, (http, access) => BackupScheduleApi.DeleteAsync(http, id, access, _schedules, default));

    private async Task<(int Status, JsonObject Body)> SendAsync(TokenInfo token, string id, string? body,
        Func<HttpContext, InstanceAccess, Task<IResult>> endpoint)
    {
        var http = _bed.Request(token, body);
        var result = await endpoint(http, new InstanceAccess(_bed.Instances, _bed.Catalog));
        http.RequestServices = new ServiceCollection().AddLogging().BuildServiceProvider();
        var output = new MemoryStream();
        http.Response.Body = output;
        await result.ExecuteAsync(http);
        var text = System.Text.Encoding.UTF8.GetString(output.ToArray());
        return (http.Response.StatusCode, text.Length == 0 ? [] : JsonNode.Parse(text)!.AsObject());
    }
}

using System.Globalization;
using System.Text.Json.Nodes;
using Dapper;
using Hoard.IntegrationTests.Infrastructure;
using Hoard.Persistence;

namespace Hoard.IntegrationTests;

/// <summary>
/// Backup schedules against the real hoard-server (its scheduler ticks every second here) and Redis guests. A schedule's
/// time cannot be waited for in a test, so the test moves its next run into the past in the state DB, as the scheduler
/// itself finds it after the time has come.
/// </summary>
[Collection(HoardServerCollection.Name)]
[Trait("Category", "Integration")]
public sealed class BackupScheduleTests(HoardServerFixture server)
{
    private TroveClient Client => server.Client;

    private TroveSession Admin => server.Admin;

    [Fact]
    public async Task AnIntervalSchedule_BacksUpWhenDue_AndRetentionOfTwo_KeepsTheNewestTwo_FreesTheOldestsData_AndNeverTouchesAManualBackup()
    {
        var id = await CreateRedisAsync("sched-retention");
        var bad = TroveClient.Expect(await Client.PutAsync(Admin, Path(id), """{"backup_schedule":{"interval_minutes":4,"retention":{"count":2}}}"""), 400);
        Assert.Equal("Validation error: backup_schedule.interval_minutes must be from 5 to 527040; it was 4.",
            bad.Object["badRequest"]!["message"]!.GetValue<string>());
        TroveClient.Expect(await Client.PutAsync(Admin, Path(id), """{"backup_schedule":{"cron":"0 3 * * 8","retention":{"count":2}}}"""), 400);
        TroveClient.Expect(await Client.GetAsync(Admin, Path(id)), 404);
        TroveClient.Expect(await Client.PutAsync(server.Reader, Path(id), """{"backup_schedule":{"interval_minutes":5,"retention":{"count":2}}}"""), 403);

        var set = TroveClient.Expect(await Client.PutAsync(Admin, Path(id),
            """{"backup_schedule":{"interval_minutes":5,"window_minutes":60,"retention":{"count":2}}}"""), 200).Object["backup_schedule"]!;
        var nextRun = Time(set["next_run"]!);
        Assert.InRange(nextRun - DateTimeOffset.UtcNow, TimeSpan.FromMinutes(4), TimeSpan.FromMinutes(5.1));
        Assert.Equal(set.ToJsonString(), TroveClient.Expect(await Client.GetAsync(server.Reader, Path(id)), 200).Object["backup_schedule"]!.ToJsonString());

        var manual = TroveClient.Expect(await Client.PostAsync(Admin, "backups", $$$"""{"backup":{"name":"by-hand","instance":"{{{id}}}"}}"""), 202)
            .Object["backup"]!["id"]!.GetValue<string>();
        Assert.Equal("COMPLETED", (await WaitForBackupEndAsync(manual))["status"]!.GetValue<string>());

        var scheduled = new List<string>();
        for (var run = 0; run < 3; run++)
        {
            await Client.WaitForActiveAsync(Admin, id);
            await MakeDueAsync(id, TimeSpan.FromSeconds(10));
            var last = await WaitForLastRunAsync(id, r => r["status"]!.GetValue<string>() == "COMPLETED" && !scheduled.Contains(Id(r["backup_id"])),
                "a new scheduled backup COMPLETED");
            var backup = TroveClient.Expect(await Client.GetAsync(Admin, $"backups/{Id(last["backup_id"])}"), 200).Object["backup"]!;
            Assert.Equal("COMPLETED", backup["status"]!.GetValue<string>());
            Assert.StartsWith("scheduled-20", backup["name"]!.GetValue<string>(), StringComparison.Ordinal);
            scheduled.Add(Id(last["backup_id"]));
        }

        List<string> listed = [];
        await Poll.UntilAsync(async () =>
        {
            listed = await ListAsync($"backups?instance_id={id}");
            return !listed.Contains(scheduled[0]);
        }, "Retention did not delete the oldest of three scheduled backups", 30, () => string.Join(", ", listed));
        Assert.Equal(new HashSet<string> { manual, scheduled[1], scheduled[2] }, listed.ToHashSet());
        Assert.False(File.Exists(StoredPath(scheduled[0])), "the pruned backup's stored data is still on disk");
        Assert.True(File.Exists(StoredPath(scheduled[2])) && File.Exists(StoredPath(manual)), "a kept backup's data is gone");
        var shown = TroveClient.Expect(await Client.GetAsync(Admin, Path(id)), 200).Object["backup_schedule"]!;
        Assert.True(Time(shown["next_run"]!) > DateTimeOffset.UtcNow, shown.ToJsonString());

        // Deleting the instance ends its schedule; its backups stay (as Trove keeps them), still under retention.
        TroveClient.Expect(await Client.DeleteAsync(Admin, $"instances/{id}"), 202);
        await Client.WaitUntilGoneAsync(Admin, id);
        TroveClient.Expect(await Client.GetAsync(Admin, Path(id)), 404);
        Assert.Equal(new HashSet<string> { manual, scheduled[1], scheduled[2] }, (await ListAsync($"backups?instance_id={id}")).ToHashSet());
        await using (var connection = await StateDbAsync())
        {
            Assert.Equal(2, await connection.ExecuteScalarAsync<long>("SELECT retention_count FROM backup_schedules WHERE instance_id = @id", new { id }));
        }

        foreach (var backup in new[] { manual, scheduled[1], scheduled[2] })
        {
            TroveClient.Expect(await Client.DeleteAsync(Admin, $"backups/{backup}"), 202);
        }
    }

    [Fact]
    public async Task ABusyInstance_IsRetriedThenSkippedWithTheReason_AndADeletedSchedule_NeverRunsAgain()
    {
        var busyTask = CreateRedisAsync("sched-busy");
        var witness = await CreateRedisAsync("sched-witness");
        var busy = await busyTask;
        TroveClient.Expect(await Client.PutAsync(Admin, Path(busy), """{"backup_schedule":{"interval_minutes":5,"window_minutes":1,"retention":{"days":1}}}"""), 200);
        TroveClient.Expect(await Client.PutAsync(Admin, Path(witness), """{"backup_schedule":{"interval_minutes":5,"retention":{"count":1}}}"""), 200);

        // Another action in progress, as the instance row shows it; kept fresh so that the reaper leaves it alone.
        await SetTaskAsync(busy, "None", "Rebooting");
        try
        {
            await MakeDueAsync(busy, TimeSpan.FromSeconds(52));
            var waiting = await WaitForLastRunAsync(busy, r => r["status"]!.GetValue<string>() is "WAITING" or "SKIPPED", "the run WAITING",
                () => SetTaskAsync(busy, "Rebooting", "Rebooting"));
            var skipped = await WaitForLastRunAsync(busy, r => r["status"]!.GetValue<string>() == "SKIPPED", "the run SKIPPED once its window closed",
                () => SetTaskAsync(busy, "Rebooting", "Rebooting"));
            var reason = skipped["reason"]!.GetValue<string>();
            Assert.StartsWith("The instance was busy until its window closed at ", reason, StringComparison.Ordinal);
            Assert.Contains($"Instance {busy} is not currently available for an action to be performed (status was REBOOT)", reason, StringComparison.Ordinal);
            Assert.Equal(waiting["due"]!.GetValue<string>(), skipped["due"]!.GetValue<string>());
            Assert.Empty(await ListAsync($"backups?instance_id={busy}"));

            // Due and waiting again, then removed: once the instance is free, nothing may start.
            await MakeDueAsync(busy, TimeSpan.FromSeconds(5));
            await WaitForLastRunAsync(busy, r => r["status"]!.GetValue<string>() == "WAITING" && r["due"]!.GetValue<string>() != skipped["due"]!.GetValue<string>(),
                "the second run WAITING", () => SetTaskAsync(busy, "Rebooting", "Rebooting"));
            TroveClient.Expect(await Client.DeleteAsync(server.Reader, Path(busy)), 403);
            TroveClient.Expect(await Client.DeleteAsync(Admin, Path(busy)), 202);
        }
        finally
        {
            await SetTaskAsync(busy, "Rebooting", "None");
        }

        TroveClient.Expect(await Client.GetAsync(Admin, Path(busy)), 404);
        TroveClient.Expect(await Client.DeleteAsync(Admin, Path(busy)), 404);
        // The witness is due later than the removed run was, so the tick that starts it would have started that one first.
        await MakeDueAsync(witness, TimeSpan.FromSeconds(1));
        var started = await WaitForLastRunAsync(witness, r => r["status"]!.GetValue<string>() is "RUNNING" or "COMPLETED", "the witness's run started");
        Assert.Empty(await ListAsync($"backups?instance_id={busy}"));
        await WaitForBackupEndAsync(Id(started["backup_id"]));

        foreach (var id in new[] { busy, witness })
        {
            TroveClient.Expect(await Client.DeleteAsync(Admin, $"instances/{id}"), 202);
        }

        foreach (var id in new[] { busy, witness })
        {
            await Client.WaitUntilGoneAsync(Admin, id);
        }

        foreach (var backup in await ListAsync($"backups?instance_id={witness}"))
        {
            TroveClient.Expect(await Client.DeleteAsync(Admin, $"backups/{backup}"), 202);
        }
    }

    private static string Path(string instanceId) => $"instances/{instanceId}/backup_schedule";

    private static string Id(JsonNode? node) => node?.GetValue<string>() ?? "";

    private static DateTimeOffset Time(JsonNode node) =>
        DateTimeOffset.Parse(node.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    private string StoredPath(string backupId) => System.IO.Path.Combine(server.DataDir, "backups", Admin.ProjectId, backupId);

    private async Task<string> CreateRedisAsync(string name)
    {
        var body = new JsonObject
        {
            ["instance"] = new JsonObject
            {
                ["name"] = name, ["flavorRef"] = "1", ["volume"] = new JsonObject { ["size"] = 1 },
                ["datastore"] = new JsonObject { ["type"] = "redis", ["version"] = "7.0" },
            },
        };
        var id = (await Client.CreateInstanceAsync(Admin, body))["id"]!.GetValue<string>();
        await Client.WaitForActiveAsync(Admin, id);
        return id;
    }

    private Task<System.Data.Common.DbConnection> StateDbAsync() =>
        new StateDb(System.IO.Path.Combine(server.DataDir, "state.db")).OpenAsync(default);

    /// <summary>As if the schedule's next run had come <paramref name="ago"/> ago.</summary>
    private async Task MakeDueAsync(string instanceId, TimeSpan ago)
    {
        await using var connection = await StateDbAsync();
        var due = (DateTimeOffset.UtcNow - ago).UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", CultureInfo.InvariantCulture);
        Assert.Equal(1, await connection.ExecuteAsync("UPDATE backup_schedules SET next_run = @due WHERE instance_id = @instanceId",
            new { due, instanceId }));
    }

    private async Task SetTaskAsync(string instanceId, string from, string to)
    {
        await using var connection = await StateDbAsync();
        var now = DateTimeOffset.UtcNow.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", CultureInfo.InvariantCulture);
        await connection.ExecuteAsync("UPDATE instances SET task = @to, updated = @now WHERE id = @instanceId AND task = @from",
            new { instanceId, from, to, now });
    }

    /// <summary>Polls the schedule's <c>last_run</c> until it matches; <paramref name="meanwhile"/> runs at every poll.</summary>
    private async Task<JsonObject> WaitForLastRunAsync(string instanceId, Func<JsonObject, bool> match, string what, Func<Task>? meanwhile = null)
    {
        JsonObject? last = null;
        await Poll.UntilAsync(async () =>
        {
            if (meanwhile is not null)
            {
                await meanwhile();
            }

            last = TroveClient.Expect(await Client.GetAsync(Admin, Path(instanceId)), 200).Object["backup_schedule"]!["last_run"] as JsonObject;
            return last is not null && match(last);
        }, $"Schedule of instance {instanceId}: never saw {what}", 120, () => last?.ToJsonString() ?? "no run");
        return last!;
    }

    private async Task<JsonObject> WaitForBackupEndAsync(string id)
    {
        JsonObject? last = null;
        await Poll.UntilAsync(async () =>
        {
            last = TroveClient.Expect(await Client.GetAsync(Admin, $"backups/{id}"), 200).Object["backup"]!.AsObject();
            return last["status"]!.GetValue<string>() is "COMPLETED" or "FAILED";
        }, $"Backup {id} did not end", 120, () => last?.ToJsonString() ?? "nothing");
        return last!;
    }

    private async Task<List<string>> ListAsync(string path)
    {
        var response = TroveClient.Expect(await Client.GetAsync(Admin, $"{path}&limit=1000"), 200);
        return [.. response.Object["backups"]!.AsArray().Select(b => b!["id"]!.GetValue<string>())];
    }
}

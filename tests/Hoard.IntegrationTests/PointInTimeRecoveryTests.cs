using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Hoard.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Hoard.IntegrationTests;

/// <summary>
/// Point-in-time recovery of PostgreSQL against the real hoard-server and its guests: WAL archived continuously, the
/// recovery window shown, a restore to a second between two writes, and a restore outside the window refused.
/// </summary>
[Collection(HoardServerCollection.Name)]
[Trait("Category", "Integration")]
public sealed class PointInTimeRecoveryTests(HoardServerFixture server, ITestOutputHelper output)
{
    private const string Password = "Pitr-App-1";

    private TroveClient Client => server.Client;

    [Fact]
    public async Task RestoreToATimeBetweenTwoWrites_RecoversTheFirstAndNotTheSecond_AndATimeOutsideTheWindowIs400()
    {
        // A short archive_timeout through a configuration group, so that the window's end keeps up within seconds.
        var group = TroveClient.Expect(await Client.PostAsync(server.Admin, "configurations", new JsonObject
        {
            ["configuration"] = new JsonObject
            {
                ["name"] = "pitr-fast-archive", ["values"] = new JsonObject { ["archive_timeout"] = 2 },
                ["datastore"] = new JsonObject { ["type"] = "postgresql", ["version"] = "15" },
            },
        }.ToJsonString()), 200).Object["configuration"]!["id"]!.GetValue<string>();
        var body = PostgreSqlBody("pitr-source");
        body["instance"]!["configuration"] = group;
        var source = (await Client.CreateInstanceAsync(server.Admin, body))["id"]!.GetValue<string>();
        var sourceIp = (await Client.WaitForActiveAsync(server.Admin, source))["ip"]![0]!.GetValue<string>();
        await PsqlClient.QueryOkAsync(sourceIp, "app", Password, "shop", "CREATE TABLE rows_ (v TEXT); CREATE TABLE ticks (at TIMESTAMPTZ)");
        Assert.Null((await ShowAsync(source))["recovery_window"]);

        var backup = await BackupAsync(source);
        await PsqlClient.QueryOkAsync(sourceIp, "app", Password, "shop", "INSERT INTO rows_ VALUES ('A')");
        await Task.Delay(1100);
        var t = WholeSecond(DateTimeOffset.UtcNow);
        await Task.Delay(1100);
        await PsqlClient.QueryOkAsync(sourceIp, "app", Password, "shop", "INSERT INTO rows_ VALUES ('B')");
        var afterB = Stopwatch.StartNew();

        // Writes keep the server switching segments every archive_timeout, so the window's end moves past T + 2 s.
        JsonObject? window = null;
        await Poll.UntilAsync(async () =>
        {
            await PsqlClient.QueryOkAsync(sourceIp, "app", Password, "shop", "INSERT INTO ticks VALUES (now())");
            window = (await ShowAsync(source))["recovery_window"] as JsonObject;
            return window is not null && Time(window["latest"]) >= t.AddSeconds(2);
        }, $"The recovery window of {source} never passed {t.AddSeconds(2):O}", 90, () => window?.ToJsonString() ?? "none");
        var lagged = DateTimeOffset.UtcNow - Time(window!["latest"]);
        output.WriteLine($"window {window.ToJsonString()}: passed T+2 s {afterB.Elapsed.TotalSeconds:0.0} s after B; its end was {lagged.TotalSeconds:0.0} s old when seen");
        Assert.True(Time(window["earliest"]) <= t, $"The window {window.ToJsonString()} does not reach back to {t:O}, before the first write");
        var detailed = TroveClient.Expect(await Client.GetAsync(server.Admin, $"instances/{source}/recovery_window"), 200).Object["recovery_window"]!;
        Assert.Equal(window["earliest"]!.GetValue<string>(), detailed["earliest"]!.GetValue<string>());
        Assert.NotEmpty(detailed["intervals"]!.AsArray());

        await RotateWalTokenAsync(source, sourceIp);

        var restoreBody = PostgreSqlBody("pitr-restored", database: null);
        restoreBody["instance"]!["restorePoint"] = new JsonObject { ["instance"] = source, ["restore_time"] = Seconds(t) };
        var watch = Stopwatch.StartNew();
        var restored = (await Client.CreateInstanceAsync(server.Admin, restoreBody))["id"]!.GetValue<string>();
        var restoredIp = (await Client.WaitForActiveAsync(server.Admin, restored, seconds: 300))["ip"]![0]!.GetValue<string>();
        output.WriteLine($"restored to {Seconds(t)}: ACTIVE {watch.Elapsed.TotalSeconds:0.0} s after the create");

        Assert.Equal("A", await PsqlClient.QueryOkAsync(restoredIp, "app", Password, "shop", "SELECT string_agg(v, ',' ORDER BY v) FROM rows_"));
        Assert.Equal("A,B", await PsqlClient.QueryOkAsync(sourceIp, "app", Password, "shop", "SELECT string_agg(v, ',' ORDER BY v) FROM rows_"));
        await PsqlClient.QueryOkAsync(restoredIp, "app", Password, "shop", "INSERT INTO rows_ VALUES ('written after the restore')");

        var earliest = Time(window["earliest"]);
        foreach (var outside in new[] { earliest.AddHours(-1), DateTimeOffset.UtcNow.AddHours(1) })
        {
            var count = (await Client.ListInstancesAsync(server.Admin)).Count;
            var refusedBody = PostgreSqlBody("pitr-refused", database: null);
            refusedBody["instance"]!["restorePoint"] = new JsonObject { ["instance"] = source, ["restore_time"] = Seconds(outside) };
            var refused = TroveClient.Expect(await Client.PostAsync(server.Admin, "instances", refusedBody.ToJsonString()), 400);
            var message = refused.Object["badRequest"]!["message"]!.GetValue<string>();
            Assert.StartsWith($"restore_time {Seconds(outside)} is outside the recoverable window of instance {source}: {window["earliest"]!.GetValue<string>()} to ",
                message, StringComparison.Ordinal);
            Assert.Equal(count, (await Client.ListInstancesAsync(server.Admin)).Count);
        }

        foreach (var id in new[] { source, restored })
        {
            TroveClient.Expect(await Client.DeleteAsync(server.Admin, $"instances/{id}"), 202);
        }

        foreach (var id in new[] { source, restored })
        {
            await Client.WaitUntilGoneAsync(server.Admin, id);
        }

        TroveClient.Expect(await Client.DeleteAsync(server.Admin, $"backups/{backup}"), 202);
        TroveClient.Expect(await Client.DeleteAsync(server.Admin, $"configurations/{group}"), 202);
    }

    /// <summary>After a rotation the old WAL token is refused and archiving goes on with the new one.</summary>
    private async Task RotateWalTokenAsync(string source, string sourceIp)
    {
        var targetFile = Path.Combine(server.DataDir, "instances", source, "etc", "wal-archive.json");
        var oldToken = JsonNode.Parse(await File.ReadAllTextAsync(targetFile))!["token"]!.GetValue<string>();
        TroveClient.Expect(await Client.PostAsync(server.Other, $"mgmt/instances/{source}/rotate_wal_token", "{}"), 401);
        TroveClient.Expect(await Client.PostAsync(server.Admin, $"mgmt/instances/{source}/rotate_wal_token", "{}"), 202);
        Assert.NotEqual(oldToken, JsonNode.Parse(await File.ReadAllTextAsync(targetFile))!["token"]!.GetValue<string>());

        using (var http = new HttpClient())
        using (var request = new HttpRequestMessage(HttpMethod.Put, $"{server.BaseUrl}/hoard/wal/{source}/000000010000000000000099"))
        {
            request.Headers.Add("X-Hoard-Transfer-Token", oldToken);
            request.Content = new ByteArrayContent([1, 2, 3]);
            Assert.Equal(System.Net.HttpStatusCode.Unauthorized, (await http.SendAsync(request)).StatusCode);
        }

        var before = Time((await ShowAsync(source))["recovery_window"]!["latest"]);
        JsonNode? window = null;
        await Poll.UntilAsync(async () =>
        {
            await PsqlClient.QueryOkAsync(sourceIp, "app", Password, "shop", "INSERT INTO ticks VALUES (now())");
            window = (await ShowAsync(source))["recovery_window"];
            return Time(window!["latest"]) >= before.AddSeconds(3);
        }, $"Archiving of {source} did not go on after its WAL token was rotated", 60, () => window?.ToJsonString() ?? "none");
    }

    [Fact]
    public async Task RestorePoint_WithATime_IsChecked_BeforeAnythingIsCreated()
    {
        var shared = await server.GetSharedInstanceAsync();
        var count = (await Client.ListInstancesAsync(server.Admin)).Count;

        Assert.Contains("is not a time", await RefusedAsync(shared.Id, "yesterday", 400), StringComparison.Ordinal);
        Assert.Contains("could not be found", await RefusedAsync(Guid.NewGuid().ToString(), "2026-11-30T23:10:05Z", 404), StringComparison.Ordinal);
        Assert.Contains($"is outside the recoverable window of instance {shared.Id}",
            await RefusedAsync(shared.Id, "2000-01-01T00:00:00Z", 400), StringComparison.Ordinal);
        Assert.Equal(count, (await Client.ListInstancesAsync(server.Admin)).Count);
    }

    private async Task<string> RefusedAsync(string instance, string time, int status)
    {
        var body = PostgreSqlBody("pitr-refused", database: null);
        body["instance"]!["restorePoint"] = new JsonObject { ["instance"] = instance, ["restore_time"] = time };
        var response = TroveClient.Expect(await Client.PostAsync(server.Admin, "instances", body.ToJsonString()), status);
        return response.Object.First().Value!["message"]!.GetValue<string>();
    }

    private static JsonObject PostgreSqlBody(string name, string? database = "shop")
    {
        var body = TroveClient.InstanceBody(name, database, "app", Password);
        body["instance"]!["datastore"] = new JsonObject { ["type"] = "postgresql", ["version"] = "15" };
        if (database is null)
        {
            body["instance"]!["users"] = new JsonArray(new JsonObject { ["name"] = "app", ["password"] = Password });
        }

        return body;
    }

    private async Task<string> BackupAsync(string instance)
    {
        var created = TroveClient.Expect(await Client.PostAsync(server.Admin, "backups",
            new JsonObject { ["backup"] = new JsonObject { ["name"] = "pitr-base", ["instance"] = instance } }.ToJsonString()), 202);
        var id = created.Object["backup"]!["id"]!.GetValue<string>();
        JsonObject? last = null;
        await Poll.UntilAsync(async () =>
        {
            last = TroveClient.Expect(await Client.GetAsync(server.Admin, $"backups/{id}"), 200).Object["backup"]!.AsObject();
            return last["status"]!.GetValue<string>() is "COMPLETED" or "FAILED";
        }, $"Backup {id} did not end", 300, () => last?.ToJsonString() ?? "nothing");
        Assert.True(last!["status"]!.GetValue<string>() == "COMPLETED", last.ToJsonString());
        await Client.WaitForActiveAsync(server.Admin, instance);
        return id;
    }

    private async Task<JsonObject> ShowAsync(string id) =>
        TroveClient.Expect(await Client.GetAsync(server.Admin, $"instances/{id}"), 200).Object["instance"]!.AsObject();

    private static DateTimeOffset WholeSecond(DateTimeOffset time) => new(time.UtcTicks / TimeSpan.TicksPerSecond * TimeSpan.TicksPerSecond, TimeSpan.Zero);

    private static string Seconds(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    private static DateTimeOffset Time(JsonNode? node) =>
        DateTimeOffset.Parse(node!.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
}

using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Hoard.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Hoard.IntegrationTests;

/// <summary>
/// Point-in-time recovery of MariaDB against the real hoard-server and its guests: the binary log archived continuously,
/// the recovery window shown, a restore to a second between two writes, and a restore outside the window refused.
/// </summary>
[Collection(HoardServerCollection.Name)]
[Trait("Category", "Integration")]
public sealed class MariaDbPointInTimeRecoveryTests(HoardServerFixture server, ITestOutputHelper output)
{
    private const string Password = "Pitr-Maria-1";

    private TroveClient Client => server.Client;

    [Fact]
    public async Task RestoreToATimeBetweenTwoWrites_RecoversTheFirstAndNotTheSecond_AndATimeOutsideTheWindowIs400()
    {
        // A short binlog_archive_timeout through a configuration group, so that the window's end keeps up within seconds.
        var group = TroveClient.Expect(await Client.PostAsync(server.Admin, "configurations", new JsonObject
        {
            ["configuration"] = new JsonObject
            {
                ["name"] = "pitr-fast-binlog", ["values"] = new JsonObject { ["binlog_archive_timeout"] = 2 },
                ["datastore"] = new JsonObject { ["type"] = "mariadb", ["version"] = "10.11" },
            },
        }.ToJsonString()), 200).Object["configuration"]!["id"]!.GetValue<string>();
        var body = TroveClient.InstanceBody("pitr-maria-source", "shop", "app", Password);
        body["instance"]!["configuration"] = group;
        var source = (await Client.CreateInstanceAsync(server.Admin, body))["id"]!.GetValue<string>();
        var sourceIp = (await Client.WaitForActiveAsync(server.Admin, source))["ip"]![0]!.GetValue<string>();
        await MariaDbClient.QueryOkAsync(sourceIp, "app", Password, "shop", "CREATE TABLE rows_ (v VARCHAR(8)); CREATE TABLE ticks (at DATETIME(6))");
        var shown = await ShowAsync(source);
        Assert.True(shown.ContainsKey("recovery_window"));
        Assert.Null(shown["recovery_window"]);

        var backup = await BackupAsync(source);
        await MariaDbClient.QueryOkAsync(sourceIp, "app", Password, "shop", "INSERT INTO rows_ VALUES ('A')");
        await Task.Delay(1100);
        var t = WholeSecond(DateTimeOffset.UtcNow);
        await Task.Delay(1100);
        await MariaDbClient.QueryOkAsync(sourceIp, "app", Password, "shop", "INSERT INTO rows_ VALUES ('B')");
        var afterB = Stopwatch.StartNew();

        JsonObject? window = null;
        await Poll.UntilAsync(async () =>
        {
            await MariaDbClient.QueryOkAsync(sourceIp, "app", Password, "shop", "INSERT INTO ticks VALUES (UTC_TIMESTAMP(6))");
            window = (await ShowAsync(source))["recovery_window"] as JsonObject;
            return window is not null && Time(window["latest"]) >= t.AddSeconds(2);
        }, $"The recovery window of {source} never passed {t.AddSeconds(2):O}", 90, () => window?.ToJsonString() ?? "none");
        var lagged = DateTimeOffset.UtcNow - Time(window!["latest"]);
        output.WriteLine($"window {window.ToJsonString()}: passed T+2 s {afterB.Elapsed.TotalSeconds:0.0} s after B; its end was {lagged.TotalSeconds:0.0} s old when seen");
        Assert.True(Time(window["earliest"]) <= t, $"The window {window.ToJsonString()} does not reach back to {t:O}, before the first write");
        var detailed = TroveClient.Expect(await Client.GetAsync(server.Admin, $"instances/{source}/recovery_window"), 200).Object["recovery_window"]!;
        Assert.Equal(window["earliest"]!.GetValue<string>(), detailed["earliest"]!.GetValue<string>());
        Assert.NotEmpty(detailed["intervals"]!.AsArray());

        var restoreBody = TroveClient.InstanceBody("pitr-maria-restored", null, "app", Password);
        restoreBody["instance"]!["restorePoint"] = new JsonObject { ["instance"] = source, ["restore_time"] = Seconds(t) };
        var watch = Stopwatch.StartNew();
        var restored = (await Client.CreateInstanceAsync(server.Admin, restoreBody))["id"]!.GetValue<string>();
        var restoredIp = (await Client.WaitForActiveAsync(server.Admin, restored, seconds: 300))["ip"]![0]!.GetValue<string>();
        output.WriteLine($"restored to {Seconds(t)}: ACTIVE {watch.Elapsed.TotalSeconds:0.0} s after the create");

        const string Rows = "SELECT GROUP_CONCAT(v ORDER BY v) FROM rows_";
        Assert.Equal("A", (await MariaDbClient.QueryOkAsync(restoredIp, "app", Password, "shop", Rows)).Trim());
        Assert.Equal("A,B", (await MariaDbClient.QueryOkAsync(sourceIp, "app", Password, "shop", Rows)).Trim());
        await MariaDbClient.QueryOkAsync(restoredIp, "app", Password, "shop", "INSERT INTO rows_ VALUES ('later')");

        var earliest = Time(window["earliest"]);
        foreach (var outside in new[] { earliest.AddHours(-1), DateTimeOffset.UtcNow.AddHours(1) })
        {
            var count = (await Client.ListInstancesAsync(server.Admin)).Count;
            var refusedBody = TroveClient.InstanceBody("pitr-maria-refused", null, "app", Password);
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

    private async Task<string> BackupAsync(string instance)
    {
        var created = TroveClient.Expect(await Client.PostAsync(server.Admin, "backups",
            new JsonObject { ["backup"] = new JsonObject { ["name"] = "pitr-maria-base", ["instance"] = instance } }.ToJsonString()), 202);
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

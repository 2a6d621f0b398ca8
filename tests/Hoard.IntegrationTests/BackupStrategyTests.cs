using System.Text.Json.Nodes;
using Hoard.IntegrationTests.Infrastructure;

namespace Hoard.IntegrationTests;

/// <summary>
/// The logical strategies, chosen per backup with Hoard's <c>strategy</c> field, end to end: a backup shows the strategy
/// that made it, and a restore (which always uses that strategy) holds what was there at the backup; a strategy the
/// datastore version does not allow, or an incremental logical backup, is refused with 400.
/// </summary>
[Collection(HoardServerCollection.Name)]
[Trait("Category", "Integration")]
public sealed class BackupStrategyTests(HoardServerFixture server)
{
    private const string Password = "Strategy-App-3";
    private const string PgDigest = "SELECT count(*) || ' ' || md5(coalesce(string_agg(id || ':' || v, ',' ORDER BY id), '')) FROM items";
    private const string MariaDbDigest = "SELECT CONCAT(COUNT(*), ' ', MD5(COALESCE(GROUP_CONCAT(id, ':', v ORDER BY id), ''))) FROM items";

    private TroveClient Client => server.Client;

    [Fact]
    public async Task PostgreSql_PgDumpBackup_ShowsItsStrategy_AndRestoresTheRows_AndRefusesWhatTheVersionDoesNotAllow()
    {
        var source = await CreateAsync(Instance("pg-dump-source", "postgresql", "15"));
        await PsqlClient.QueryOkAsync(source.Ip, "app", Password, "shop",
            "CREATE TABLE items (id int PRIMARY KEY, v text NOT NULL); INSERT INTO items SELECT g, md5(g::text) FROM generate_series(1, 500) g;");
        var atBackup = await PsqlClient.QueryOkAsync(source.Ip, "app", Password, "shop", PgDigest);

        await RefusedAsync(source.Id, new JsonObject { ["strategy"] = "mariadb-dump" }, "Backup strategy 'mariadb-dump' is not available");
        await RefusedAsync(source.Id, new JsonObject { ["strategy"] = "pg_dump", ["incremental"] = 1 }, "not supported with backup strategy 'pg_dump'");
        var backup = await BackUpAsync(source.Id, "pg-dump", "pg_dump");
        await PsqlClient.QueryOkAsync(source.Ip, "app", Password, "shop", "INSERT INTO items VALUES (501, 'later'); DELETE FROM items WHERE id = 2;");

        var restored = await CreateAsync(Restore(Instance("pg-dump-restored", "postgresql", "15"), backup));
        Assert.Equal(atBackup, await PsqlClient.QueryOkAsync(restored.Ip, "app", Password, "shop", PgDigest));
        var physical = await BackUpAsync(restored.Id, "pg-physical", strategy: null);
        await DeleteAsync([source.Id, restored.Id], [backup, physical]);
    }

    [Fact]
    public async Task MariaDb_MariaDbDumpBackup_ShowsItsStrategy_AndRestoresTheRows()
    {
        var source = await CreateAsync(Instance("mariadb-dump-source", "mariadb", "10.11"));
        await MariaDbClient.QueryOkAsync(source.Ip, "app", Password, "shop",
            "CREATE TABLE items (id INT PRIMARY KEY, v VARCHAR(64) NOT NULL); INSERT INTO items SELECT seq, MD5(seq) FROM seq_1_to_500;");
        var atBackup = await MariaDbClient.QueryOkAsync(source.Ip, "app", Password, "shop", MariaDbDigest);

        await RefusedAsync(source.Id, new JsonObject { ["strategy"] = "pg_dump" }, "Backup strategy 'pg_dump' is not available");
        var backup = await BackUpAsync(source.Id, "mariadb-dump", "mariadb-dump");
        await MariaDbClient.QueryOkAsync(source.Ip, "app", Password, "shop", "INSERT INTO items VALUES (501, 'later'); DELETE FROM items WHERE id = 2;");

        var restored = await CreateAsync(Restore(Instance("mariadb-dump-restored", "mariadb", "10.11"), backup));
        Assert.Equal(atBackup, await MariaDbClient.QueryOkAsync(restored.Ip, "app", Password, "shop", MariaDbDigest));
        await DeleteAsync([source.Id, restored.Id], [backup]);
    }

    private async Task RefusedAsync(string instanceId, JsonObject extra, string expected)
    {
        var spec = new JsonObject { ["name"] = "refused", ["instance"] = instanceId };
        foreach (var (key, value) in extra)
            spec[key] = value?.DeepClone();
        var refused = TroveClient.Expect(await Client.PostAsync(server.Admin, "backups", new JsonObject { ["backup"] = spec }.ToJsonString()), 400);
        Assert.Contains(expected, refused.Object["badRequest"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    private async Task<(string Id, string Ip)> CreateAsync(JsonObject body)
    {
        var id = (await Client.CreateInstanceAsync(server.Admin, body))["id"]!.GetValue<string>();
        var active = await Client.WaitForActiveAsync(server.Admin, id, seconds: 300);
        return (id, active["ip"]![0]!.GetValue<string>());
    }

    /// <summary>POST /backups, with a strategy or the version's default → COMPLETED, showing the strategy.</summary>
    private async Task<string> BackUpAsync(string instanceId, string name, string? strategy)
    {
        var spec = new JsonObject { ["name"] = name, ["instance"] = instanceId };
        if (strategy is not null)
            spec["strategy"] = strategy;
        var created = TroveClient.Expect(await Client.PostAsync(server.Admin, "backups", new JsonObject { ["backup"] = spec }.ToJsonString()), 202)
            .Object["backup"]!;
        var id = created["id"]!.GetValue<string>();
        JsonObject? last = null;
        await Poll.UntilAsync(async () =>
        {
            last = TroveClient.Expect(await Client.GetAsync(server.Admin, $"backups/{id}"), 200).Object["backup"]!.AsObject();
            Assert.NotEqual("FAILED", last["status"]!.GetValue<string>());
            return last["status"]!.GetValue<string>() == "COMPLETED";
        }, $"Backup {id} did not complete", 300, () => last?.ToJsonString() ?? "nothing");
        var expected = strategy ?? (last!["datastore"]!["type"]!.GetValue<string>() == "postgresql" ? "pg_basebackup" : "mariadb-backup");
        Assert.Equal(expected, created["strategy"]!.GetValue<string>());
        Assert.Equal(expected, last!["strategy"]!.GetValue<string>());
        await Client.WaitForActiveAsync(server.Admin, instanceId);
        return id;
    }

    private async Task DeleteAsync(string[] instances, string[] backups)
    {
        foreach (var id in instances)
            TroveClient.Expect(await Client.DeleteAsync(server.Admin, $"instances/{id}"), 202);
        foreach (var id in instances)
            await Client.WaitUntilGoneAsync(server.Admin, id);
        foreach (var id in backups)
            TroveClient.Expect(await Client.DeleteAsync(server.Admin, $"backups/{id}"), 202);
    }

    private static JsonObject Instance(string name, string type, string version)
    {
        var body = TroveClient.InstanceBody(name, "shop", "app", Password);
        body["instance"]!["datastore"] = new JsonObject { ["type"] = type, ["version"] = version };
        return body;
    }

    private static JsonObject Restore(JsonObject body, string backup)
    {
        body["instance"]!["restorePoint"] = new JsonObject { ["backupRef"] = backup };
        return body;
    }
}

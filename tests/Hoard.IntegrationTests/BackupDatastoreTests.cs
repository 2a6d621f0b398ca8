using System.Text.Json.Nodes;
using Hoard.IntegrationTests.Infrastructure;

namespace Hoard.IntegrationTests;

/// <summary>
/// Backups of PostgreSQL and Redis instances, end to end against the real hoard-server and its guests (MariaDB's is in
/// <see cref="BackupTests"/>): a restore holds exactly what was there at the backup, not what came after; and a stored
/// backup whose bytes changed on disk is refused before anything of the new instance exists.
/// </summary>
[Collection(HoardServerCollection.Name)]
[Trait("Category", "Integration")]
public sealed class BackupDatastoreTests(HoardServerFixture server)
{
    private const string Password = "Backup-App-2";

    /// <summary>The rows' count and an MD5 over all of them in order: equal only if every row is.</summary>
    private const string PgDigest = "SELECT count(*) || ' ' || md5(coalesce(string_agg(id || ':' || v, ',' ORDER BY id), '')) FROM items";

    private TroveClient Client => server.Client;

    [Fact]
    public async Task PostgreSql_RestoreHoldsExactlyTheRowsOfTheBackup_AndACorruptedStoredBackupIsRefused()
    {
        var source = await CreateAsync(Instance("pg-bk-source", "postgresql", "15", withDatabase: true));
        await PsqlClient.QueryOkAsync(source.Ip, "app", Password, "shop",
            "CREATE TABLE items (id int PRIMARY KEY, v text NOT NULL); " +
            "INSERT INTO items SELECT g, md5(g::text) || repeat('x', g % 7) FROM generate_series(1, 500) g;");
        var atBackup = await PsqlClient.QueryOkAsync(source.Ip, "app", Password, "shop", PgDigest);
        Assert.StartsWith("500 ", atBackup, StringComparison.Ordinal);

        var backup = await BackUpAsync(source.Id, "pg-bk");
        await PsqlClient.QueryOkAsync(source.Ip, "app", Password, "shop",
            "INSERT INTO items SELECT g, 'later' FROM generate_series(501, 520) g; UPDATE items SET v = 'changed' WHERE id = 1; DELETE FROM items WHERE id = 2;");
        Assert.StartsWith("519 ", await PsqlClient.QueryOkAsync(source.Ip, "app", Password, "shop", PgDigest), StringComparison.Ordinal);

        // The restored cluster keeps its roles and databases: the body asks for none.
        var restored = await CreateAsync(Restore(Instance("pg-bk-restored", "postgresql", "15", withDatabase: false), backup));
        Assert.Equal(atBackup, await PsqlClient.QueryOkAsync(restored.Ip, "app", Password, "shop", PgDigest));

        await RestoreOfCorruptedCopyIsRefusedAsync(backup, Instance("pg-bk-corrupt", "postgresql", "15", withDatabase: false));
        await DeleteAsync([source.Id, restored.Id], backup);
    }

    [Fact]
    public async Task Redis_RestoreHoldsExactlyTheKeysOfTheBackup_AndACorruptedStoredBackupIsRefused()
    {
        var source = await CreateAsync(Instance("redis-bk-source", "redis", "7.0", withDatabase: false));
        var values = Enumerable.Range(1, 100).ToDictionary(i => $"k:{i:D3}", i => $"value-{i}-{Guid.NewGuid():N}");
        Assert.Equal("OK", await RedisAsync(source.Ip, ["MSET", .. values.SelectMany(kv => new[] { kv.Key, kv.Value })]));
        Assert.Equal("2", await RedisAsync(source.Ip, "HSET", "profile", "name", "Ada", "city", "London"));
        Assert.Equal("101", await RedisAsync(source.Ip, "DBSIZE"));

        var backup = await BackUpAsync(source.Id, "redis-bk");
        await RedisAsync(source.Ip, "SET", "k:001", "changed");
        await RedisAsync(source.Ip, "SET", "later", "1");
        await RedisAsync(source.Ip, "DEL", "k:002");
        await RedisAsync(source.Ip, "HSET", "profile", "city", "Paris");
        Assert.Equal("changed", await RedisAsync(source.Ip, "GET", "k:001"));

        // ACL users are the guest's, not the snapshot's: the restored instance gets its users from its own create.
        var restored = await CreateAsync(Restore(Instance("redis-bk-restored", "redis", "7.0", withDatabase: false), backup));
        Assert.Equal("101", await RedisAsync(restored.Ip, "DBSIZE"));
        Assert.Equal(string.Join('\n', values.Values), await RedisAsync(restored.Ip, ["MGET", .. values.Keys]));
        Assert.Equal("city\nLondon\nname\nAda", string.Join('\n', (await RedisAsync(restored.Ip, "HGETALL", "profile")).Split('\n')
            .Chunk(2).OrderBy(pair => pair[0], StringComparer.Ordinal).SelectMany(pair => pair)));
        Assert.Equal("", await RedisAsync(restored.Ip, "GET", "later"));

        await RestoreOfCorruptedCopyIsRefusedAsync(backup, Instance("redis-bk-corrupt", "redis", "7.0", withDatabase: false));
        await DeleteAsync([source.Id, restored.Id], backup);
    }

    /// <summary>
    /// Flips one byte in the middle of the stored backup: a restore of it must end in ERROR with a fault that says why,
    /// before the new instance has a directory, a volume or a process; and it must delete cleanly.
    /// </summary>
    private async Task RestoreOfCorruptedCopyIsRefusedAsync(string backup, JsonObject body)
    {
        var stored = Path.Combine(server.DataDir, "backups", server.Admin.ProjectId, backup);
        Assert.True(File.Exists(stored), $"The backup's stored data is not at {stored}");
        await using (var file = new FileStream(stored, FileMode.Open, FileAccess.ReadWrite))
        {
            file.Position = file.Length / 2;
            var original = file.ReadByte();
            file.Position = file.Length / 2;
            file.WriteByte((byte)(original ^ 0x5A));
        }

        var id = (await Client.CreateInstanceAsync(server.Admin, Restore(body, backup)))["id"]!.GetValue<string>();
        JsonObject? shown = null;
        await Poll.UntilAsync(async () =>
        {
            shown = TroveClient.Expect(await Client.GetAsync(server.Admin, $"instances/{id}"), 200).Object["instance"]!.AsObject();
            Assert.NotEqual("ACTIVE", shown["status"]!.GetValue<string>());
            return shown["status"]!.GetValue<string>() == "ERROR";
        }, $"Instance {id}, restored from a corrupted backup, did not end in ERROR", 120, () => shown?.ToJsonString() ?? "nothing");
        var message = shown!["fault"]?["message"]?.GetValue<string>() ?? "";
        Assert.Contains("'verify_backup'", message, StringComparison.Ordinal);
        Assert.Contains($"The stored data of backup {backup} does not match its checksum", message, StringComparison.Ordinal);
        Assert.Empty(ProcessTable.Mentioning(id));
        Assert.False(Directory.Exists(Path.Combine(server.DataDir, "instances", id)), "an instance directory was made for a refused restore");
        Assert.False(Directory.Exists(Path.Combine(server.DataDir, "volumes", id)), "a volume was made for a refused restore");

        TroveClient.Expect(await Client.DeleteAsync(server.Admin, $"instances/{id}"), 202);
        await Poll.UntilAsync(async () => (await Client.GetAsync(server.Admin, $"instances/{id}")).Status == 404,
            $"Instance {id} was not gone after its delete", 60);
    }

    private async Task<(string Id, string Ip)> CreateAsync(JsonObject body)
    {
        var id = (await Client.CreateInstanceAsync(server.Admin, body))["id"]!.GetValue<string>();
        var active = await Client.WaitForActiveAsync(server.Admin, id, seconds: 300);
        return (id, active["ip"]![0]!.GetValue<string>());
    }

    /// <summary>POST /backups → COMPLETED (local storage), and the instance ACTIVE again.</summary>
    private async Task<string> BackUpAsync(string instanceId, string name)
    {
        var body = new JsonObject { ["backup"] = new JsonObject { ["name"] = name, ["instance"] = instanceId } };
        var id = TroveClient.Expect(await Client.PostAsync(server.Admin, "backups", body.ToJsonString()), 202).Object["backup"]!["id"]!.GetValue<string>();
        JsonObject? last = null;
        await Poll.UntilAsync(async () =>
        {
            last = TroveClient.Expect(await Client.GetAsync(server.Admin, $"backups/{id}"), 200).Object["backup"]!.AsObject();
            Assert.NotEqual("FAILED", last["status"]!.GetValue<string>());
            return last["status"]!.GetValue<string>() == "COMPLETED";
        }, $"Backup {id} did not complete", 300, () => last?.ToJsonString() ?? "nothing");
        Assert.Equal("local", last!["storage_driver"]!.GetValue<string>());
        await Client.WaitForActiveAsync(server.Admin, instanceId);
        return id;
    }

    private async Task DeleteAsync(string[] instances, string backup)
    {
        foreach (var id in instances)
        {
            TroveClient.Expect(await Client.DeleteAsync(server.Admin, $"instances/{id}"), 202);
        }

        foreach (var id in instances)
        {
            await Client.WaitUntilGoneAsync(server.Admin, id);
        }

        TroveClient.Expect(await Client.DeleteAsync(server.Admin, $"backups/{backup}"), 202);
        Assert.False(File.Exists(Path.Combine(server.DataDir, "backups", server.Admin.ProjectId, backup)), "the backup's data outlived it");
    }

    /// <summary>m1.tiny, 1 GB, user <c>app</c>; with database <c>shop</c> (its user's) where the datastore has databases.</summary>
    private static JsonObject Instance(string name, string type, string version, bool withDatabase)
    {
        var body = TroveClient.InstanceBody(name, withDatabase ? "shop" : null, withDatabase || type == "redis" ? "app" : null, Password);
        body["instance"]!["datastore"] = new JsonObject { ["type"] = type, ["version"] = version };
        if (type == "redis")
        {
            body["instance"]!.AsObject().Remove("databases");
            body["instance"]!["users"]![0]!.AsObject().Remove("databases");
        }

        return body;
    }

    private static JsonObject Restore(JsonObject body, string backup)
    {
        body["instance"]!["restorePoint"] = new JsonObject { ["backupRef"] = backup };
        return body;
    }

    /// <summary>A command as <c>app</c>; the reply as redis-cli prints it without a terminal, trimmed.</summary>
    private static async Task<string> RedisAsync(string ip, params string[] command) => (await RedisCli.RunAsync(ip, "app", Password, command)).Trim();
}

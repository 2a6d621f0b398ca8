using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Hoard.IntegrationTests.Infrastructure;

namespace Hoard.IntegrationTests;

/// <summary>
/// Backups kept in object storage, end to end: a hoard-server configured (through its environment) for Swift, another for
/// S3 against Swift's s3api, each taking a MariaDB full backup and an incremental on it into the private Swift, restoring
/// the chain into a new instance with exactly the rows of the incremental, and deleting the chain from Swift; and each
/// archiving a PostgreSQL instance's WAL there and restoring it to a second between two writes. The storage key must
/// never reach an instance's processes.
/// </summary>
[Collection(ObjectStorageCollection.Name)]
[Trait("Category", "Integration")]
public sealed class BackupObjectStorageTests(ObjectStorageFixture storage)
{
    private const string Password = "Backup-App-3";

    /// <summary>What a restore must reproduce: the row count and the content checksum.</summary>
    private const string Fingerprint = "SELECT COUNT(*) FROM rows_; CHECKSUM TABLE rows_";

    [SwiftFact]
    public async Task Swift_IncrementalChainIsStoredInSwift_RestoresTheIncrementalsRows_AndDeletingTheFullRemovesBothObjects()
    {
        var (token, storageUrl) = await storage.Swift.AuthenticateAsync();
        Assert.False(string.IsNullOrEmpty(token));
        var server = storage.SwiftServer;
        var chain = await ChainRoundTripAsync(server, "swift");
        foreach (var (backup, location) in chain)
        {
            Assert.Equal($"{storageUrl}/{ObjectStorageFixture.SwiftContainer}/{server.Admin.ProjectId}/{backup}", location);
        }

        await DeleteChainAsync(server, chain.Select(b => (b.Backup, b.Location)).ToList());
        foreach (var (backup, _) in chain)
        {
            Assert.Empty(await storage.Swift.ListAsync(ObjectStorageFixture.SwiftContainer + "_segments", $"{server.Admin.ProjectId}/{backup}"));
        }
    }

    [SwiftFact]
    public async Task S3_IncrementalChainIsStoredThroughSwiftsS3Api_RestoresTheIncrementalsRows_AndDeletingTheFullRemovesBothObjects()
    {
        var server = storage.S3Server;
        var chain = await ChainRoundTripAsync(server, "s3");
        foreach (var (backup, location) in chain)
        {
            Assert.Equal($"{storage.Swift.S3Endpoint}/{ObjectStorageFixture.S3Bucket}/{server.Admin.ProjectId}/{backup}", location);
        }

        // The bucket is a container of the same Swift account: the objects can be read (and found gone) through Swift.
        var (_, storageUrl) = await storage.Swift.AuthenticateAsync();
        await DeleteChainAsync(server,
            chain.Select(b => (b.Backup, $"{storageUrl}/{ObjectStorageFixture.S3Bucket}/{server.Admin.ProjectId}/{b.Backup}")).ToList());
    }

    [SwiftFact]
    public Task Swift_PostgreSqlWalIsArchivedInSwift_AndARestoreToATimeBetweenTwoWritesHasTheFirstOnly() =>
        PointInTimeRoundTripAsync(storage.SwiftServer, "swift", ObjectStorageFixture.SwiftContainer);

    [SwiftFact]
    public Task S3_PostgreSqlWalIsArchivedThroughSwiftsS3Api_AndARestoreToATimeBetweenTwoWritesHasTheFirstOnly() =>
        PointInTimeRoundTripAsync(storage.S3Server, "s3", ObjectStorageFixture.S3Bucket);

    [SwiftFact]
    public async Task StorageKey_IsInNoProcessArgument_NorInTheEnvironmentOfAnInstancesProcesses()
    {
        var server = storage.SwiftServer;
        var id = (await server.Client.CreateInstanceAsync(server.Admin, TroveClient.InstanceBody("swift-key-check", "shop", "app", Password)))["id"]!.GetValue<string>();
        await server.Client.WaitForActiveAsync(server.Admin, id);

        Assert.Empty(ProcessTable.Mentioning(storage.Swift.Key));
        var processes = ProcessTable.Mentioning(id);
        Assert.Contains(processes, p => p.CommandLine.Contains("hoard-guest", StringComparison.Ordinal));
        Assert.Contains(processes, p => p.CommandLine.Contains("mariadbd", StringComparison.Ordinal));
        var holding = processes.Where(p => Environ(p.Pid).Contains(storage.Swift.Key, StringComparison.Ordinal)).ToList();
        Assert.True(holding.Count == 0,
            $"The storage key is in the environment of these processes of instance {id}: {string.Join("; ", holding.Select(p => $"{p.Pid} {p.CommandLine.Split(' ')[0]} {p.CommandLine.Split(' ').ElementAtOrDefault(1)}"))}");

        await DeleteInstancesAsync(server, id);
    }

    /// <summary>
    /// Where a backup goes in Swift: its own <c>swift_container</c>, else its instance's backup strategy, else its project's
    /// (set with the stock openstack client), else the configured container; a restore reads it from there, and deleting
    /// the backup removes it there.
    /// </summary>
    [SwiftFact]
    public async Task Swift_BackupStrategiesAndSwiftContainer_ChooseTheContainer_InTroveOrder_AndRestoreReadsFromIt()
    {
        var server = storage.SwiftServer;
        var client = server.Client;
        var (_, storageUrl) = await storage.Swift.AuthenticateAsync();
        var suffix = Guid.NewGuid().ToString("N")[..6];
        var (projectContainer, instanceContainer, ownContainer) = ($"it-project-{suffix}", $"it-instance-{suffix}", $"it-own-{suffix}");
        var source = (await client.CreateInstanceAsync(server.Admin, TroveClient.InstanceBody("swift-strategy-source", "shop", "app", Password)))["id"]!.GetValue<string>();
        var sourceIp = (await client.WaitForActiveAsync(server.Admin, source))["ip"]![0]!.GetValue<string>();
        await MariaDbAsync(sourceIp, "CREATE TABLE rows_ (id INT PRIMARY KEY, v VARCHAR(20)); INSERT INTO rows_ VALUES (1, 'one'), (2, 'two');");

        await OpenStackCli.OkAsync(server, "database", "backup", "strategy", "create", "--swift-container", projectContainer);
        var created = TroveClient.Expect(await client.PostAsync(server.Admin, "backup_strategies", new JsonObject
        {
            ["backup_strategy"] = new JsonObject { ["instance_id"] = source, ["swift_container"] = instanceContainer },
        }.ToJsonString()), 202).Object["backup_strategy"]!;
        Assert.Equal("swift", created["backend"]!.GetValue<string>());
        var listed = JsonNode.Parse(await OpenStackCli.OkAsync(server, "database", "backup", "strategy", "list", "-f", "json"))!.AsArray();
        Assert.Equal([("", projectContainer), (source, instanceContainer)],
            listed.Select(s => (s!["Instance ID"]?.GetValue<string>() ?? "", s["Swift Container"]!.GetValue<string>())).OrderBy(x => x.Item1));
        TroveClient.Expect(await client.PostAsync(server.Admin, "backups", new JsonObject
        {
            ["backup"] = new JsonObject { ["name"] = "bad-container", ["instance"] = source, ["swift_container"] = "a/b" },
        }.ToJsonString()), 400);

        var own = await BackUpAsync(server, "swift", source, "strategy-own", new JsonObject { ["swift_container"] = ownContainer });
        var byInstance = await BackUpAsync(server, "swift", source, "strategy-instance", null);
        await OpenStackCli.OkAsync(server, "database", "backup", "strategy", "delete", "--instance-id", source);
        var byProject = await BackUpAsync(server, "swift", source, "strategy-project", null);
        TroveClient.Expect(await client.DeleteAsync(server.Admin, "backup_strategies"), 202);
        Assert.Empty(TroveClient.Expect(await client.GetAsync(server.Admin, "backup_strategies"), 200).Object["backup_strategies"]!.AsArray());
        var byDefault = await BackUpAsync(server, "swift", source, "strategy-default", null);
        var expected = new[] { (own, ownContainer), (byInstance, instanceContainer), (byProject, projectContainer), (byDefault, ObjectStorageFixture.SwiftContainer) };
        foreach (var (backup, container) in expected)
        {
            Assert.Equal($"{storageUrl}/{container}/{server.Admin.ProjectId}/{backup["id"]}", backup["locationRef"]!.GetValue<string>());
        }

        await MariaDbAsync(sourceIp, "INSERT INTO rows_ VALUES (3, 'after the backups');");
        var restoreBody = TroveClient.InstanceBody("swift-strategy-restored", database: null, user: null);
        restoreBody["instance"]!["restorePoint"] = new JsonObject { ["backupRef"] = own["id"]!.GetValue<string>() };
        var restored = (await client.CreateInstanceAsync(server.Admin, restoreBody))["id"]!.GetValue<string>();
        var restoredIp = (await client.WaitForActiveAsync(server.Admin, restored, seconds: 300))["ip"]![0]!.GetValue<string>();
        Assert.Equal("1,2", await MariaDbAsync(restoredIp, "SELECT GROUP_CONCAT(id ORDER BY id) FROM rows_"));

        await DeleteInstancesAsync(server, source, restored);
        foreach (var (backup, _) in expected)
        {
            TroveClient.Expect(await client.DeleteAsync(server.Admin, $"backups/{backup["id"]}"), 202);
            Assert.Equal(HttpStatusCode.NotFound, (await storage.Swift.GetAsync(backup["locationRef"]!.GetValue<string>())).Status);
        }
    }

    /// <summary>
    /// A MariaDB instance with three rows, a full backup, two more rows, an incremental (<c>incremental: 1</c>, on the full),
    /// one more row, and a restore of the incremental that holds exactly the rows at the incremental. Returns the full
    /// backup and the incremental with their locationRefs.
    /// </summary>
    private async Task<IReadOnlyList<(string Backup, string Location)>> ChainRoundTripAsync(HoardServerFixture server, string driver)
    {
        var source = (await server.Client.CreateInstanceAsync(server.Admin, TroveClient.InstanceBody($"{driver}-inc-source", "shop", "app", Password)))["id"]!.GetValue<string>();
        var sourceIp = (await server.Client.WaitForActiveAsync(server.Admin, source))["ip"]![0]!.GetValue<string>();
        await MariaDbAsync(sourceIp, "CREATE TABLE rows_ (id INT PRIMARY KEY, v VARCHAR(20)); INSERT INTO rows_ VALUES (1, 'one'), (2, 'two'), (3, 'three');");
        var full = await BackUpAsync(server, driver, source, $"{driver}-full", null);
        Assert.Null(full["parent_id"]);

        await MariaDbAsync(sourceIp, "INSERT INTO rows_ VALUES (4, 'four'), (5, 'five'); UPDATE rows_ SET v = 'uno' WHERE id = 1;");
        var atIncremental = await MariaDbAsync(sourceIp, Fingerprint);
        var incremental = await BackUpAsync(server, driver, source, $"{driver}-inc", new JsonObject { ["incremental"] = 1 });
        Assert.Equal(full["id"]!.GetValue<string>(), incremental["parent_id"]!.GetValue<string>());
        Assert.False(Directory.Exists(Path.Combine(server.DataDir, "backups", server.Admin.ProjectId)), "a backup to object storage was also kept on local disk");
        await MariaDbAsync(sourceIp, "INSERT INTO rows_ VALUES (6, 'after every backup');");

        var restoreBody = TroveClient.InstanceBody($"{driver}-inc-restored", database: null, user: null);
        restoreBody["instance"]!["restorePoint"] = new JsonObject { ["backupRef"] = incremental["id"]!.GetValue<string>() };
        var restored = (await server.Client.CreateInstanceAsync(server.Admin, restoreBody))["id"]!.GetValue<string>();
        var restoredIp = (await server.Client.WaitForActiveAsync(server.Admin, restored, seconds: 300))["ip"]![0]!.GetValue<string>();
        Assert.StartsWith("5\n", atIncremental, StringComparison.Ordinal);
        Assert.Equal(atIncremental, await MariaDbAsync(restoredIp, Fingerprint));

        await DeleteInstancesAsync(server, source, restored);
        Assert.DoesNotContain(storage.Swift.Key, server.ServerLog, StringComparison.Ordinal);
        return [.. new[] { full, incremental }.Select(b => (b["id"]!.GetValue<string>(), b["locationRef"]!.GetValue<string>()))];
    }

    /// <summary>
    /// Each object is in Swift (as large as its backup's size says) until the chain's first backup is deleted; then every
    /// backup of the chain is 404 and so is each object.
    /// </summary>
    private async Task DeleteChainAsync(HoardServerFixture server, IReadOnlyList<(string Backup, string SwiftUrl)> chain)
    {
        foreach (var (backup, swiftUrl) in chain)
        {
            var size = TroveClient.Expect(await server.Client.GetAsync(server.Admin, $"backups/{backup}"), 200).Object["backup"]!["size"]!.GetValue<double>();
            var (status, body) = await storage.Swift.GetAsync(swiftUrl);
            var length = body.LongLength;
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.True(length > 0 && Math.Abs(length / (double)(1L << 30) - size) < 0.001,
                $"Swift holds {length.ToString(CultureInfo.InvariantCulture)} bytes at {swiftUrl}; the backup's size is {size.ToString(CultureInfo.InvariantCulture)} GB");
        }

        TroveClient.Expect(await server.Client.DeleteAsync(server.Admin, $"backups/{chain[0].Backup}"), 202);
        foreach (var (backup, swiftUrl) in chain)
        {
            TroveClient.Expect(await server.Client.GetAsync(server.Admin, $"backups/{backup}"), 404);
            Assert.True((await storage.Swift.GetAsync(swiftUrl)).Status == HttpStatusCode.NotFound, $"{swiftUrl} outlived the delete of its chain");
        }
    }

    /// <summary>
    /// As <see cref="PointInTimeRecoveryTests"/>, with the base backup and the WAL in <paramref name="container"/>: row A,
    /// a second T, row B, the recovery window past T + 2 s, and a restore to T that holds A and not B.
    /// </summary>
    private async Task PointInTimeRoundTripAsync(HoardServerFixture server, string driver, string container)
    {
        var client = server.Client;
        // A short archive_timeout through a configuration group, so that the window's end keeps up within seconds.
        var group = TroveClient.Expect(await client.PostAsync(server.Admin, "configurations", new JsonObject
        {
            ["configuration"] = new JsonObject
            {
                ["name"] = $"{driver}-pitr-fast-archive", ["values"] = new JsonObject { ["archive_timeout"] = 2 },
                ["datastore"] = new JsonObject { ["type"] = "postgresql", ["version"] = "15" },
            },
        }.ToJsonString()), 200).Object["configuration"]!["id"]!.GetValue<string>();
        var body = PostgreSqlBody($"{driver}-pitr-source", "shop");
        body["instance"]!["configuration"] = group;
        var source = (await client.CreateInstanceAsync(server.Admin, body))["id"]!.GetValue<string>();
        var sourceIp = (await client.WaitForActiveAsync(server.Admin, source, seconds: 300))["ip"]![0]!.GetValue<string>();
        await PsqlAsync(sourceIp, "CREATE TABLE rows_ (v TEXT); CREATE TABLE ticks (at TIMESTAMPTZ)");

        var backup = (await BackUpAsync(server, driver, source, $"{driver}-pitr-base", null))["id"]!.GetValue<string>();
        await PsqlAsync(sourceIp, "INSERT INTO rows_ VALUES ('A')");
        await Task.Delay(1100);
        var now = DateTimeOffset.UtcNow;
        var t = new DateTimeOffset(now.UtcTicks / TimeSpan.TicksPerSecond * TimeSpan.TicksPerSecond, TimeSpan.Zero);
        await Task.Delay(1100);
        await PsqlAsync(sourceIp, "INSERT INTO rows_ VALUES ('B')");

        // Writes keep the server switching segments every archive_timeout, so the window's end moves past T + 2 s.
        JsonObject? window = null;
        await Poll.UntilAsync(async () =>
        {
            await PsqlAsync(sourceIp, "INSERT INTO ticks VALUES (now())");
            window = TroveClient.Expect(await client.GetAsync(server.Admin, $"instances/{source}"), 200).Object["instance"]!["recovery_window"] as JsonObject;
            return window is not null &&
                   DateTimeOffset.Parse(window["latest"]!.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal) >= t.AddSeconds(2);
        }, $"The recovery window of {source} never passed {t.AddSeconds(2):O}", 90, () => window?.ToJsonString() ?? "none");
        var walPrefix = $"{server.Admin.ProjectId}/wal/{source}/";
        var archived = await storage.Swift.ListAsync(container, walPrefix);
        Assert.True(archived.Any(o => Regex.IsMatch(o.Name[walPrefix.Length..], "^[0-9A-F]{24}$")),
            $"No WAL segment of {source} is in {container} under {walPrefix}: {string.Join(", ", archived.Select(o => o.Name))}");

        var restoreBody = PostgreSqlBody($"{driver}-pitr-restored", database: null);
        restoreBody["instance"]!["restorePoint"] = new JsonObject
        {
            ["instance"] = source, ["restore_time"] = t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
        };
        var restored = (await client.CreateInstanceAsync(server.Admin, restoreBody))["id"]!.GetValue<string>();
        var restoredIp = (await client.WaitForActiveAsync(server.Admin, restored, seconds: 300))["ip"]![0]!.GetValue<string>();
        Assert.Equal("A", await PsqlAsync(restoredIp, "SELECT string_agg(v, ',' ORDER BY v) FROM rows_"));
        Assert.Equal("A,B", await PsqlAsync(sourceIp, "SELECT string_agg(v, ',' ORDER BY v) FROM rows_"));

        await DeleteInstancesAsync(server, source, restored);
        TroveClient.Expect(await client.DeleteAsync(server.Admin, $"backups/{backup}"), 202);
        TroveClient.Expect(await client.DeleteAsync(server.Admin, $"configurations/{group}"), 202);
        Assert.DoesNotContain(storage.Swift.Key, server.ServerLog, StringComparison.Ordinal);
    }

    /// <summary>Takes a backup and waits for it to be COMPLETED in <paramref name="driver"/> storage, in Swift; its view.</summary>
    private async Task<JsonObject> BackUpAsync(HoardServerFixture server, string driver, string instance, string name, JsonObject? extra)
    {
        var spec = new JsonObject { ["name"] = name, ["instance"] = instance };
        foreach (var (key, value) in extra ?? [])
        {
            spec[key] = value?.DeepClone();
        }

        var backup = TroveClient.Expect(await server.Client.PostAsync(server.Admin, "backups", new JsonObject { ["backup"] = spec }.ToJsonString()), 202)
            .Object["backup"]!["id"]!.GetValue<string>();
        JsonObject? shown = null;
        await Poll.UntilAsync(async () =>
        {
            shown = TroveClient.Expect(await server.Client.GetAsync(server.Admin, $"backups/{backup}"), 200).Object["backup"]!.AsObject();
            Assert.NotEqual("FAILED", shown["status"]!.GetValue<string>());
            return shown["status"]!.GetValue<string>() == "COMPLETED";
        }, $"Backup {backup} to {driver} did not complete", 120, () => shown?.ToJsonString() ?? "nothing");
        Assert.Equal(driver, shown!["storage_driver"]!.GetValue<string>());
        Assert.StartsWith(storage.Swift.S3Endpoint + "/", shown["locationRef"]!.GetValue<string>(), StringComparison.Ordinal);
        await server.Client.WaitForActiveAsync(server.Admin, instance);
        return shown;
    }

    private static JsonObject PostgreSqlBody(string name, string? database)
    {
        var body = TroveClient.InstanceBody(name, database, "app", Password);
        body["instance"]!["datastore"] = new JsonObject { ["type"] = "postgresql", ["version"] = "15" };
        if (database is null)
        {
            body["instance"]!["users"] = new JsonArray(new JsonObject { ["name"] = "app", ["password"] = Password });
        }

        return body;
    }

    private static async Task<string> MariaDbAsync(string ip, string sql) => (await MariaDbClient.QueryOkAsync(ip, "app", Password, "shop", sql)).Trim();

    private static async Task<string> PsqlAsync(string ip, string sql) => await PsqlClient.QueryOkAsync(ip, "app", Password, "shop", sql);

    private static async Task DeleteInstancesAsync(HoardServerFixture server, params string[] ids)
    {
        foreach (var id in ids)
        {
            TroveClient.Expect(await server.Client.DeleteAsync(server.Admin, $"instances/{id}"), 202);
        }

        foreach (var id in ids)
        {
            await server.Client.WaitUntilGoneAsync(server.Admin, id);
        }
    }

    private static string Environ(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/environ");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }
}

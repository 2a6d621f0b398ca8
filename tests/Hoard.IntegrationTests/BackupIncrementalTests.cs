using System.Diagnostics;
using System.Text.Json.Nodes;
using Hoard.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Hoard.IntegrationTests;

/// <summary>
/// Incremental backups against the real hoard-server and its guests: a full backup and two incrementals of a MariaDB
/// instance, each chain restored into a new instance holding exactly the rows (counts and <c>CHECKSUM TABLE</c>) of its
/// last backup; <c>incremental: 1</c> choosing the latest backup, a damaged member refused before anything is made, the
/// delete of a chain, PostgreSQL refused, and the OpenStack client's <c>--incremental</c> and <c>--parent</c>.
/// </summary>
[Collection(HoardServerCollection.Name)]
[Trait("Category", "Integration")]
public sealed class BackupIncrementalTests(HoardServerFixture server, ITestOutputHelper output)
{
    private const string Password = "Backup-Inc-1";

    /// <summary>What a restore must reproduce: every table's row count and content checksum.</summary>
    private const string Fingerprint =
        "SELECT 'items', COUNT(*) FROM items; SELECT 'ledger', COUNT(*) FROM ledger; CHECKSUM TABLE items, ledger, later, last_";

    private TroveClient Client => server.Client;

    [Fact]
    public async Task MariaDb_FullThenTwoIncrementals_EachChainRestoresExactlyItsLastBackupsData_AndDeletesAsAChain()
    {
        var source = await CreateInstanceAsync("inc-source", withDatabase: true);
        await QueryAsync(source.Ip,
            "CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(64), price DECIMAL(10,2)); " +
            "INSERT INTO items SELECT seq, CONCAT('item-', seq, '-', MD5(seq)), seq * 1.25 FROM seq_1_to_100000; " +
            "CREATE TABLE ledger (id INT PRIMARY KEY, note VARCHAR(32)) ENGINE=MyISAM; INSERT INTO ledger VALUES (1, 'opening');");
        var full = await BackUpAsync(source.Id, "inc-full", null);
        Assert.Null(full.View["parent_id"]);

        await QueryAsync(source.Ip,
            "INSERT INTO items SELECT seq, CONCAT('added-', seq), 9.99 FROM seq_100001_to_101000; UPDATE items SET price = 0 WHERE id <= 300; " +
            "INSERT INTO ledger VALUES (2, 'after the full'); CREATE TABLE later (v INT); INSERT INTO later VALUES (1), (2), (3);");
        var atInc1 = await QueryAsync(source.Ip, Fingerprint);
        var inc1 = await BackUpAsync(source.Id, "inc-1", new JsonObject { ["incremental"] = 1 });
        Assert.Equal(full.Id, inc1.View["parent_id"]!.GetValue<string>());

        await QueryAsync(source.Ip,
            "DELETE FROM items WHERE id BETWEEN 500 AND 1499; DROP TABLE later; UPDATE ledger SET note = 'rewritten' WHERE id = 1; " +
            "CREATE TABLE last_ (v VARCHAR(8)); INSERT INTO last_ VALUES ('inc2');");
        var atInc2 = await QueryAsync(source.Ip, Fingerprint);
        var inc2 = await BackUpAsync(source.Id, "inc-2", new JsonObject { ["parent_id"] = inc1.Id });
        Assert.Equal(inc1.Id, inc2.View["parent_id"]!.GetValue<string>());
        await QueryAsync(source.Ip, "INSERT INTO items VALUES (999999, 'after every backup', 1); DROP TABLE last_;");

        output.WriteLine($"at inc1: {atInc1.ReplaceLineEndings(" | ")}\nat inc2: {atInc2.ReplaceLineEndings(" | ")}");
        Assert.NotEqual(atInc1, atInc2);
        // The guest brings InnoDB's checkpoint up to date before each backup, so freshly loaded data is not in them.
        Assert.True(inc1.Stored < full.Stored / 2 && inc2.Stored < full.Stored / 2,
            $"the incrementals stored {inc1.Stored} and {inc2.Stored} bytes, the full backup {full.Stored}");

        var watch = Stopwatch.StartNew();
        var restored1 = await CreateInstanceAsync("inc-restored-1", withDatabase: false, restoreFrom: inc1.Id);
        output.WriteLine($"restore of full+inc1 ACTIVE after {watch.Elapsed.TotalSeconds:0.0} s");
        watch.Restart();
        var restored2 = await CreateInstanceAsync("inc-restored-2", withDatabase: false, restoreFrom: inc2.Id);
        output.WriteLine($"restore of full+inc1+inc2 ACTIVE after {watch.Elapsed.TotalSeconds:0.0} s");
        Assert.Equal(atInc1, await QueryAsync(restored1.Ip, Fingerprint));
        Assert.Equal(atInc2, await QueryAsync(restored2.Ip, Fingerprint));

        await RestoreOfAChainWithADamagedMemberIsRefusedAsync(damaged: inc1.Id, chosen: inc2.Id);

        TroveClient.Expect(await Client.DeleteAsync(server.Admin, $"backups/{full.Id}"), 202);
        foreach (var id in new[] { full.Id, inc1.Id, inc2.Id })
        {
            TroveClient.Expect(await Client.GetAsync(server.Admin, $"backups/{id}"), 404);
            Assert.False(File.Exists(StoredPath(id)), $"the data of backup {id} outlived the delete of its chain");
        }

        await DeleteInstancesAsync(source.Id, restored1.Id, restored2.Id);
    }

    [Fact]
    public async Task OpenStackClient_Incremental_BuildsOnTheLatestBackup_Parent_OnTheNamedOne_AndDeleteRemovesTheChain()
    {
        var shared = await server.GetSharedInstanceAsync();
        var a = await CliBackUpAsync(shared.Id, "cli-inc-a", "--incremental");
        var b = await CliBackUpAsync(shared.Id, "cli-inc-b", "--incremental");
        var c = await CliBackUpAsync(shared.Id, "cli-inc-c", "--parent", a.Id);

        // a's own parent is whatever the shared instance's latest backup was (another test's), or none.
        Assert.Equal((a.Id, a.Id), (b.ParentId, c.ParentId));
        var listed = JsonNode.Parse(await OpenStackCli.OkAsync(server, "database", "backup", "list", "--instance-id", shared.Id, "-f", "json"))!.AsArray();
        Assert.Equal(a.Id, listed.Single(r => r!["ID"]!.GetValue<string>() == c.Id)!["Parent ID"]!.GetValue<string>());

        await OpenStackCli.OkAsync(server, "database", "backup", "delete", a.Id);
        foreach (var id in new[] { a.Id, b.Id, c.Id })
        {
            TroveClient.Expect(await Client.GetAsync(server.Admin, $"backups/{id}"), 404);
            Assert.False(File.Exists(StoredPath(id)), $"the data of backup {id} outlived the delete of its chain");
        }
    }

    [Fact]
    public async Task Incremental_OfPostgreSql_Is400NamingTheDatastore_AndCreatesNothing()
    {
        var body = TroveClient.InstanceBody("inc-pg", "shop", "app", Password);
        body["instance"]!["datastore"] = new JsonObject { ["type"] = "postgresql", ["version"] = "15" };
        var id = (await Client.CreateInstanceAsync(server.Admin, body))["id"]!.GetValue<string>();
        await Client.WaitForActiveAsync(server.Admin, id, seconds: 300);
        var before = await CountBackupsAsync();

        foreach (var extra in new[] { """ "incremental": 1 """, $$$""" "parent_id": "{{{Guid.NewGuid()}}}" """ })
        {
            var response = TroveClient.Expect(await Client.PostAsync(server.Admin, "backups",
                $$$"""{"backup":{"name":"pg-inc","instance":"{{{id}}}",{{{extra}}}}}"""), 400);
            Assert.Equal("The 'incremental backup' operation is not supported for the 'postgresql' datastore: its backup strategy, " +
                         "pg_basebackup, takes full backups only. Take a full backup.", response.Object["badRequest"]!["message"]!.GetValue<string>());
        }

        var cli = await OpenStackCli.RunAsync(server, "database", "backup", "create", "pg-inc-cli", "--instance", id, "--incremental");
        Assert.False(cli.Succeeded, cli.ToString());
        Assert.Contains("not supported for the 'postgresql' datastore", cli.Stderr + cli.Stdout, StringComparison.Ordinal);
        Assert.Equal(before, await CountBackupsAsync());
        await DeleteInstancesAsync(id);
    }

    /// <summary>
    /// Flips a byte of a chain's middle member: a restore of the chain ends in ERROR at verify_backup, naming that member,
    /// before the new instance has a directory or a process.
    /// </summary>
    private async Task RestoreOfAChainWithADamagedMemberIsRefusedAsync(string damaged, string chosen)
    {
        await using (var file = new FileStream(StoredPath(damaged), FileMode.Open, FileAccess.ReadWrite))
        {
            file.Position = file.Length / 2;
            var original = file.ReadByte();
            file.Position = file.Length / 2;
            file.WriteByte((byte)(original ^ 0x5A));
        }

        var id = (await Client.CreateInstanceAsync(server.Admin, Body("inc-damaged", withDatabase: false, restoreFrom: chosen)))["id"]!.GetValue<string>();
        JsonObject? shown = null;
        await Poll.UntilAsync(async () =>
        {
            shown = TroveClient.Expect(await Client.GetAsync(server.Admin, $"instances/{id}"), 200).Object["instance"]!.AsObject();
            Assert.NotEqual("ACTIVE", shown["status"]!.GetValue<string>());
            // The build records its fault just after its ERROR.
            return shown["status"]!.GetValue<string>() == "ERROR" && shown["fault"] is not null;
        }, $"Instance {id}, restored from a chain with a damaged member, did not end in ERROR with a fault", 120,
            () => shown?.ToJsonString() ?? "nothing");
        var message = shown!["fault"]?["message"]?.GetValue<string>() ?? "";
        Assert.Contains("'verify_backup'", message, StringComparison.Ordinal);
        Assert.Contains($"Backup {damaged}, which backup {chosen} builds on, cannot be restored; nothing was restored.", message, StringComparison.Ordinal);
        Assert.Empty(ProcessTable.Mentioning(id));
        Assert.False(Directory.Exists(Path.Combine(server.DataDir, "instances", id)), "an instance directory was made for a refused restore");

        // An ERROR instance shows ERROR while it is deleted.
        TroveClient.Expect(await Client.DeleteAsync(server.Admin, $"instances/{id}"), 202);
        await Poll.UntilAsync(async () => (await Client.GetAsync(server.Admin, $"instances/{id}")).Status == 404,
            $"Instance {id} was not gone after its delete", 60);
    }

    /// <summary><c>openstack database backup create</c>, then waits for COMPLETED; the parent the server chose.</summary>
    private async Task<(string Id, string? ParentId)> CliBackUpAsync(string instanceId, string name, params string[] options)
    {
        var created = JsonNode.Parse(await OpenStackCli.OkAsync(server,
            ["database", "backup", "create", name, "--instance", instanceId, .. options, "-f", "json"]))!;
        var id = created["id"]!.GetValue<string>();
        await WaitForCompletedAsync(id, instanceId);
        return (id, created["parent_id"]?.GetValue<string>());
    }

    private async Task<(string Id, JsonObject View, long Stored)> BackUpAsync(string instanceId, string name, JsonObject? extra)
    {
        var spec = new JsonObject { ["name"] = name, ["instance"] = instanceId };
        foreach (var (key, value) in extra ?? [])
        {
            spec[key] = value?.DeepClone();
        }

        var watch = Stopwatch.StartNew();
        var created = TroveClient.Expect(await Client.PostAsync(server.Admin, "backups", new JsonObject { ["backup"] = spec }.ToJsonString()), 202);
        var id = created.Object["backup"]!["id"]!.GetValue<string>();
        var view = await WaitForCompletedAsync(id, instanceId);
        var stored = new FileInfo(StoredPath(id)).Length;
        output.WriteLine($"{name}: COMPLETED after {watch.Elapsed.TotalSeconds:0.0} s, {stored} bytes stored");
        return (id, view, stored);
    }

    private async Task<JsonObject> WaitForCompletedAsync(string id, string instanceId)
    {
        JsonObject? last = null;
        await Poll.UntilAsync(async () =>
        {
            last = TroveClient.Expect(await Client.GetAsync(server.Admin, $"backups/{id}"), 200).Object["backup"]!.AsObject();
            Assert.NotEqual("FAILED", last["status"]!.GetValue<string>());
            return last["status"]!.GetValue<string>() == "COMPLETED";
        }, $"Backup {id} did not complete", 300, () => last?.ToJsonString() ?? "nothing");
        await Client.WaitForActiveAsync(server.Admin, instanceId);
        return last!;
    }

    private async Task<(string Id, string Ip)> CreateInstanceAsync(string name, bool withDatabase, string? restoreFrom = null)
    {
        var id = (await Client.CreateInstanceAsync(server.Admin, Body(name, withDatabase, restoreFrom)))["id"]!.GetValue<string>();
        var active = await Client.WaitForActiveAsync(server.Admin, id, seconds: 300);
        return (id, active["ip"]![0]!.GetValue<string>());
    }

    /// <summary>A restored instance keeps the backup's databases and users: its body asks for none.</summary>
    private static JsonObject Body(string name, bool withDatabase, string? restoreFrom)
    {
        var body = TroveClient.InstanceBody(name, withDatabase ? "shop" : null, withDatabase ? "app" : null, Password);
        if (restoreFrom is not null)
        {
            body["instance"]!["restorePoint"] = new JsonObject { ["backupRef"] = restoreFrom };
        }

        return body;
    }

    private static async Task<string> QueryAsync(string ip, string sql) => (await MariaDbClient.QueryOkAsync(ip, "app", Password, "shop", sql)).Trim();

    private string StoredPath(string backupId) => Path.Combine(server.DataDir, "backups", server.Admin.ProjectId, backupId);

    private async Task<int> CountBackupsAsync() =>
        TroveClient.Expect(await Client.GetAsync(server.Admin, "backups?limit=1000"), 200).Object["backups"]!.AsArray().Count;

    private async Task DeleteInstancesAsync(params string[] ids)
    {
        foreach (var id in ids)
        {
            TroveClient.Expect(await Client.DeleteAsync(server.Admin, $"instances/{id}"), 202);
        }

        foreach (var id in ids)
        {
            await Client.WaitUntilGoneAsync(server.Admin, id);
        }
    }
}

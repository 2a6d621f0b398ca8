using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Dapper;
using Hoard.IntegrationTests.Infrastructure;
using Hoard.Persistence;

namespace Hoard.IntegrationTests;

/// <summary>
/// Backups and restores against the real hoard-server and its guests: the API's checks, quota, list filters, delete, the
/// OpenStack client, the restore's integrity check, and a backup restored into a new instance with exactly its data.
/// </summary>
[Collection(HoardServerCollection.Name)]
[Trait("Category", "Integration")]
public sealed class BackupTests(HoardServerFixture server)
{
    private TroveClient Client => server.Client;

    [Fact]
    public async Task MariaDb_BackupThenRestore_GivesExactlyTheRowsOfTheBackup()
    {
        const string Password = "Backup-App-1";
        var source = (await Client.CreateInstanceAsync(server.Admin, TroveClient.InstanceBody("bk-source", "shop", "app", Password)))["id"]!.GetValue<string>();
        var sourceIp = (await Client.WaitForActiveAsync(server.Admin, source))["ip"]![0]!.GetValue<string>();
        await MariaDbClient.QueryOkAsync(sourceIp, "app", Password, "shop",
            "CREATE TABLE rows_ (id INT PRIMARY KEY, v VARCHAR(20)); INSERT INTO rows_ VALUES (1, 'one'), (2, 'two'), (3, 'three');");

        var backup = await CreateBackupAsync(server.Admin, source, "bk-e2e");
        var completed = await WaitForBackupEndAsync(server.Admin, backup);
        Assert.True(completed["status"]!.GetValue<string>() == "COMPLETED", $"The backup did not complete: {completed.ToJsonString()}");
        Assert.True(completed["size"]!.GetValue<double>() > 0, completed.ToJsonString());
        Assert.StartsWith("file:///", completed["locationRef"]!.GetValue<string>(), StringComparison.Ordinal);
        await Client.WaitForActiveAsync(server.Admin, source);
        await MariaDbClient.QueryOkAsync(sourceIp, "app", Password, "shop", "INSERT INTO rows_ VALUES (4, 'four'), (5, 'five');");

        var body = TroveClient.InstanceBody("bk-restored", database: null, user: null);
        body["instance"]!["restorePoint"] = new JsonObject { ["backupRef"] = backup };
        var restored = (await Client.CreateInstanceAsync(server.Admin, body))["id"]!.GetValue<string>();
        var restoredIp = (await Client.WaitForActiveAsync(server.Admin, restored, seconds: 300))["ip"]![0]!.GetValue<string>();

        Assert.Equal("1\tone\n2\ttwo\n3\tthree",
            (await MariaDbClient.QueryOkAsync(restoredIp, "app", Password, "shop", "SELECT id, v FROM rows_ ORDER BY id")).Trim());
        Assert.Equal("1\tone\n2\ttwo\n3\tthree\n4\tfour\n5\tfive",
            (await MariaDbClient.QueryOkAsync(sourceIp, "app", Password, "shop", "SELECT id, v FROM rows_ ORDER BY id")).Trim());

        foreach (var id in new[] { source, restored })
        {
            TroveClient.Expect(await Client.DeleteAsync(server.Admin, $"instances/{id}"), 202);
        }

        TroveClient.Expect(await Client.DeleteAsync(server.Admin, $"backups/{backup}"), 202);
        foreach (var id in new[] { source, restored })
        {
            await Client.WaitUntilGoneAsync(server.Admin, id);
        }
    }

    [Fact]
    public async Task Backup_OfTheSharedInstance_IsListedFilteredShownAndDeleted_AndTheInstanceIsActiveAgain()
    {
        var shared = await server.GetSharedInstanceAsync();
        var id = await CreateBackupAsync(server.Admin, shared.Id, "it-listed", "described");
        var ended = await WaitForBackupEndAsync(server.Admin, id);
        Assert.Contains(ended["status"]!.GetValue<string>(), new[] { "COMPLETED", "FAILED" });
        if (ended["status"]!.GetValue<string>() == "FAILED")
        {
            Assert.False(string.IsNullOrEmpty(ended["fault"]?["message"]?.GetValue<string>()), $"A failed backup says nothing of why: {ended.ToJsonString()}");
        }

        await Client.WaitForActiveAsync(server.Admin, shared.Id);
        Assert.Equal(("it-listed", "described", shared.Id, server.Admin.ProjectId, "mariadb", "10.11", "local"), (
            ended["name"]!.GetValue<string>(), ended["description"]!.GetValue<string>(), ended["instance_id"]!.GetValue<string>(),
            ended["project_id"]!.GetValue<string>(), ended["datastore"]!["type"]!.GetValue<string>(),
            ended["datastore"]!["version"]!.GetValue<string>(), ended["storage_driver"]!.GetValue<string>()));

        Assert.Contains(id, await ListAsync(server.Admin, "backups"));
        Assert.Contains(id, await ListAsync(server.Admin, $"backups?instance_id={shared.Id}"));
        Assert.Contains(id, await ListAsync(server.Admin, "backups?datastore=mariadb"));
        Assert.DoesNotContain(id, await ListAsync(server.Admin, "backups?datastore=redis"));
        Assert.DoesNotContain(id, await ListAsync(server.Admin, $"backups?instance_id={Guid.NewGuid()}"));
        Assert.Contains(id, await ListAsync(server.Admin, $"instances/{shared.Id}/backups"));
        Assert.DoesNotContain(id, await ListAsync(server.Other, "backups"));
        TroveClient.Expect(await Client.GetAsync(server.Other, $"backups/{id}"), 404);
        TroveClient.Expect(await Client.DeleteAsync(server.Other, $"backups/{id}"), 404);
        TroveClient.Expect(await Client.GetAsync(server.Other, "backups?all_projects=True"), 403);
        TroveClient.Expect(await Client.GetAsync(server.Admin, "backups?datastore=oracle"), 404);
        // Local storage has no containers: no strategy to set, and a backup cannot name one.
        Assert.Empty(TroveClient.Expect(await Client.GetAsync(server.Admin, "backup_strategies"), 200).Object["backup_strategies"]!.AsArray());
        TroveClient.Expect(await Client.PostAsync(server.Admin, "backup_strategies",
            """{"backup_strategy":{"swift_container":"elsewhere"}}"""), 501);
        TroveClient.Expect(await Client.PostAsync(server.Admin, "backups",
            new JsonObject
            {
                ["backup"] = new JsonObject { ["name"] = "contained", ["instance"] = shared.Id, ["swift_container"] = "elsewhere" },
            }.ToJsonString()), 501);
        TroveClient.Expect(await Client.GetAsync(server.Other, $"backup_strategies?project_id={server.Admin.ProjectId}"), 403);

        TroveClient.Expect(await Client.DeleteAsync(server.Admin, $"backups/{id}"), 202);
        TroveClient.Expect(await Client.GetAsync(server.Admin, $"backups/{id}"), 404);
        Assert.DoesNotContain(id, await ListAsync(server.Admin, "backups"));
        Assert.False(File.Exists(Path.Combine(server.DataDir, "backups", server.Admin.ProjectId, id)), "the backup's data outlived it");
    }

    [Fact]
    public async Task Create_IsRefused_ForBadInput_UnknownOrBusyInstances_AndUnknownParents_CreatingNothing()
    {
        var shared = await server.GetSharedInstanceAsync();
        var before = await ListAsync(server.Admin, "backups");
        await RefusedAsync("""{"backup":{"instance":"SHARED"}}""", 400, shared.Id);
        await RefusedAsync("""{"backup":{"name":"x","instance":"SHARED","incremental":"yes"}}""", 400, shared.Id);
        await RefusedAsync($$$"""{"backup":{"name":"x","instance":"{{{Guid.NewGuid()}}}"}}""", 404, shared.Id);
        await RefusedAsync($$$"""{"backup":{"name":"x","instance":"SHARED","parent_id":"{{{Guid.NewGuid()}}}"}}""", 404, shared.Id);

        // An instance still being built: 422, as Trove answers any action on it.
        var building = (await Client.CreateInstanceAsync(server.Admin, TroveClient.InstanceBody("bk-building")))["id"]!.GetValue<string>();
        var refused = await RefusedAsync("""{"backup":{"name":"x","instance":"SHARED"}}""", 422, building);
        Assert.Contains("is not currently available for an action to be performed (status was BUILD)",
            refused.Object["unprocessableEntity"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(before, await ListAsync(server.Admin, "backups"));

        await Client.WaitForActiveAsync(server.Admin, building);
        TroveClient.Expect(await Client.DeleteAsync(server.Admin, $"instances/{building}"), 202);
        await Client.WaitUntilGoneAsync(server.Admin, building);
    }

    [Fact]
    public async Task Create_OverTheBackupQuota_Is413_AndCreatesNothing()
    {
        var shared = await server.GetSharedInstanceAsync();
        var quotas = $"mgmt/quotas/{server.Admin.ProjectId}";
        var rows = TroveClient.Expect(await Client.GetAsync(server.Admin, quotas), 200).Object["quotas"]!.AsArray();
        var backups = rows.Single(r => r!["resource"]!.GetValue<string>() == "backups")!;
        var (limit, used) = (backups["limit"]!.GetValue<int>(), backups["in_use"]!.GetValue<int>());
        try
        {
            TroveClient.Expect(await Client.PutAsync(server.Admin, quotas, $$$"""{"quotas":{"backups":{{{used}}}}}"""), 200);
            var before = await ListAsync(server.Admin, "backups");
            var refused = await RefusedAsync("""{"backup":{"name":"over","instance":"SHARED"}}""", 413, shared.Id);
            Assert.Equal("Quota exceeded for resources: ['backups'].", refused.Object["overLimit"]!["message"]!.GetValue<string>());
            Assert.Equal(before, await ListAsync(server.Admin, "backups"));
            var absolute = TroveClient.Expect(await Client.GetAsync(server.Admin, "limits"), 200).Object["limits"]![0]!;
            Assert.Equal((used, used), (absolute["max_backups"]!.GetValue<int>(), absolute["backups_used"]!.GetValue<int>()));
        }
        finally
        {
            TroveClient.Expect(await Client.PutAsync(server.Admin, quotas, $$$"""{"quotas":{"backups":{{{limit}}}}}"""), 200);
        }
    }

    [Fact]
    public async Task RestorePoint_IsChecked_404_409_400_403_BeforeAnythingIsCreated()
    {
        var failed = await SeedBackupAsync("FAILED", toolBytes: null);
        var large = await SeedBackupAsync("COMPLETED", toolBytes: 5L << 30);
        try
        {
            var count = (await Client.ListInstancesAsync(server.Admin)).Count;
            var fault = await RestoreRefusedAsync(Guid.NewGuid().ToString(), 404);
            Assert.Contains("could not be found", fault, StringComparison.Ordinal);
            fault = await RestoreRefusedAsync(failed, 409);
            Assert.Equal($"Unable to create instance because backup {failed} is not completed. Actual state: FAILED.", fault);
            fault = await RestoreRefusedAsync(large, 400, datastore: "postgresql");
            Assert.Equal("The datastore from which the backup was taken, mariadb, does not match the destination datastore of postgresql.", fault);
            fault = await RestoreRefusedAsync(large, 403, volumeGb: 1);
            Assert.StartsWith("Backup is too large for given flavor or volume. Backup size: 5 GBs. Available size: 1 GBs.", fault, StringComparison.Ordinal);
            await RestoreRefusedAsync("not-a-uuid", 400);
            Assert.Equal(count, (await Client.ListInstancesAsync(server.Admin)).Count);
        }
        finally
        {
            TroveClient.Expect(await Client.DeleteAsync(server.Admin, $"backups/{failed}"), 202);
            TroveClient.Expect(await Client.DeleteAsync(server.Admin, $"backups/{large}"), 202);
        }
    }

    [Fact]
    public async Task Restore_OfABackupWhoseStoredBytesChanged_EndsInErrorWithAFault_BeforeAnythingIsMade_AndDeletesCleanly()
    {
        var corrupt = await SeedBackupAsync("COMPLETED", toolBytes: 1000, data: RandomNumberGenerator.GetBytes(4096), wrongChecksum: true);
        var body = TroveClient.InstanceBody("bk-corrupt", database: null, user: null);
        body["instance"]!["restorePoint"] = new JsonObject { ["backupRef"] = corrupt };
        var id = (await Client.CreateInstanceAsync(server.Admin, body))["id"]!.GetValue<string>();

        JsonObject? shown = null;
        await Poll.UntilAsync(async () =>
        {
            shown = TroveClient.Expect(await Client.GetAsync(server.Admin, $"instances/{id}"), 200).Object["instance"]!.AsObject();
            return shown["status"]!.GetValue<string>() == "ERROR";
        }, $"Instance {id}, restored from a corrupt backup, did not end in ERROR", 60, () => shown?.ToJsonString() ?? "nothing");
        var message = shown!["fault"]!["message"]!.GetValue<string>();
        Assert.Contains("'verify_backup'", message, StringComparison.Ordinal);
        Assert.Contains($"The stored data of backup {corrupt} does not match its checksum", message, StringComparison.Ordinal);
        Assert.Empty(ProcessTable.Mentioning(id));
        Assert.False(Directory.Exists(Path.Combine(server.DataDir, "instances", id)), "an instance directory was made for a refused restore");

        // An ERROR instance shows ERROR while it is deleted, too.
        TroveClient.Expect(await Client.DeleteAsync(server.Admin, $"instances/{id}"), 202);
        await Poll.UntilAsync(async () => (await Client.GetAsync(server.Admin, $"instances/{id}")).Status == 404,
            $"Instance {id} was not gone after its delete", 60);
        TroveClient.Expect(await Client.DeleteAsync(server.Admin, $"backups/{corrupt}"), 202);
        TroveClient.Expect(await Client.GetAsync(server.Admin, $"backups/{corrupt}"), 404);
        Assert.False(File.Exists(Path.Combine(server.DataDir, "backups", server.Admin.ProjectId, corrupt)));
    }

    [Fact]
    public async Task OpenStackClient_CreatesListsShowsAndDeletesABackup_AndPassesBackupToInstanceCreate()
    {
        var shared = await server.GetSharedInstanceAsync();
        var created = JsonNode.Parse(await OpenStackOkAsync("database", "backup", "create", "cli-backup", "--instance", shared.Id,
            "--description", "from the cli", "-f", "json"))!;
        var id = created["id"]!.GetValue<string>();
        Assert.Equal(("NEW", "mariadb", "10.11"), (created["status"]!.GetValue<string>(), created["datastore"]!.GetValue<string>(),
            created["datastore_version"]!.GetValue<string>()));
        await WaitForBackupEndAsync(server.Admin, id);
        await Client.WaitForActiveAsync(server.Admin, shared.Id);

        var listed = JsonNode.Parse(await OpenStackOkAsync("database", "backup", "list", "-f", "json"))!.AsArray();
        var row = listed.Single(b => b!["ID"]!.GetValue<string>() == id)!;
        Assert.Equal((shared.Id, "cli-backup"), (row["Instance ID"]!.GetValue<string>(), row["Name"]!.GetValue<string>()));
        Assert.Contains(JsonNode.Parse(await OpenStackOkAsync("database", "backup", "list", "--instance-id", shared.Id, "-f", "json"))!.AsArray(),
            b => b!["ID"]!.GetValue<string>() == id);
        Assert.Contains(JsonNode.Parse(await OpenStackOkAsync("database", "backup", "list", "instance", shared.Id, "-f", "json"))!.AsArray(),
            b => b!["ID"]!.GetValue<string>() == id);
        var shown = JsonNode.Parse(await OpenStackOkAsync("database", "backup", "show", "cli-backup", "-f", "json"))!;
        Assert.Equal((id, "from the cli"), (shown["id"]!.GetValue<string>(), shown["description"]!.GetValue<string>()));

        if (shown["status"]!.GetValue<string>() != "COMPLETED")
        {
            // Not restorable: the client must still carry --backup to the server, which says why.
            var refused = await OpenStackAsync("database", "instance", "create", "cli-restore", "--flavor", "1", "--size", "1", "--backup", id);
            Assert.False(refused.Succeeded, refused.ToString());
            Assert.Contains("is not completed", refused.Stderr + refused.Stdout, StringComparison.Ordinal);
        }

        await OpenStackOkAsync("database", "backup", "delete", "cli-backup");
        Assert.DoesNotContain(JsonNode.Parse(await OpenStackOkAsync("database", "backup", "list", "-f", "json"))!.AsArray(),
            b => b!["ID"]!.GetValue<string>() == id);
    }

    private async Task<string> CreateBackupAsync(TroveSession session, string instanceId, string name, string? description = null)
    {
        var body = new JsonObject { ["backup"] = new JsonObject { ["name"] = name, ["instance"] = instanceId, ["description"] = description } };
        var response = TroveClient.Expect(await Client.PostAsync(session, "backups", body.ToJsonString()), 202);
        var view = response.Object["backup"]!;
        Assert.Equal("NEW", view["status"]!.GetValue<string>());
        return view["id"]!.GetValue<string>();
    }

    /// <summary>Polls a backup until it is COMPLETED or FAILED.</summary>
    private async Task<JsonObject> WaitForBackupEndAsync(TroveSession session, string id, double seconds = 300)
    {
        JsonObject? last = null;
        await Poll.UntilAsync(async () =>
        {
            last = TroveClient.Expect(await Client.GetAsync(session, $"backups/{id}"), 200).Object["backup"]!.AsObject();
            return last["status"]!.GetValue<string>() is "COMPLETED" or "FAILED";
        }, $"Backup {id} did not end", seconds, () => last?.ToJsonString() ?? "nothing");
        return last!;
    }

    private async Task<List<string>> ListAsync(TroveSession session, string path)
    {
        var separator = path.Contains('?', StringComparison.Ordinal) ? '&' : '?';
        var response = TroveClient.Expect(await Client.GetAsync(session, $"{path}{separator}limit=1000"), 200);
        return [.. response.Object["backups"]!.AsArray().Select(b => b!["id"]!.GetValue<string>())];
    }

    private async Task<ApiResponse> RefusedAsync(string body, int status, string instanceId) =>
        TroveClient.Expect(await Client.PostAsync(server.Admin, "backups", body.Replace("SHARED", instanceId, StringComparison.Ordinal)), status);

    private async Task<string> RestoreRefusedAsync(string backupId, int status, string? datastore = null, int volumeGb = 2)
    {
        var body = TroveClient.InstanceBody("bk-refused", database: null, user: null);
        body["instance"]!["volume"]!["size"] = volumeGb;
        body["instance"]!["restorePoint"] = new JsonObject { ["backupRef"] = backupId };
        if (datastore is null)
        {
            body["instance"]!.AsObject().Remove("datastore");
        }
        else
        {
            body["instance"]!["datastore"] = new JsonObject { ["type"] = datastore };
        }

        var response = TroveClient.Expect(await Client.PostAsync(server.Admin, "instances", body.ToJsonString()), status);
        return response.Object.First().Value!["message"]!.GetValue<string>();
    }

    /// <summary>
    /// A backup row of the admin's project straight in the state DB (as the fixture seeds users), with stored data when
    /// given: what the API checks does not depend on how the backup was made.
    /// </summary>
    private async Task<string> SeedBackupAsync(string status, long? toolBytes, byte[]? data = null, bool wrongChecksum = false)
    {
        var version = TroveClient.Expect(await Client.GetAsync(server.Admin, "datastores/mariadb"), 200).Object["datastore"]!["versions"]![0]!;
        var id = Guid.NewGuid().ToString();
        if (data is not null)
        {
            var dir = Path.Combine(server.DataDir, "backups", server.Admin.ProjectId);
            Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            await File.WriteAllBytesAsync(Path.Combine(dir, id), data);
        }

        var checksum = data is null ? null : Convert.ToHexStringLower(SHA256.HashData(wrongChecksum ? [.. data, 0] : data));
        var now = DateTimeOffset.UtcNow.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", CultureInfo.InvariantCulture);
        await using var connection = await new StateDb(Path.Combine(server.DataDir, "state.db")).OpenAsync(default);
        await connection.ExecuteAsync(
            "INSERT INTO backups (id, project_id, instance_id, name, status, datastore_type, datastore_version, datastore_version_id, " +
            "strategy, size, tool_bytes, checksum, location, encrypted, storage_driver, metadata, created, updated) VALUES (@id, @project, " +
            "@instance, @name, @status, 'mariadb', @versionName, @versionId, 'mariadb-backup', @size, @toolBytes, @checksum, NULL, 1, 'local', " +
            "'{}', @now, @now)",
            new
            {
                id, project = server.Admin.ProjectId, instance = Guid.NewGuid().ToString(), name = "seeded-" + status.ToLowerInvariant(), status,
                versionName = version["name"]!.GetValue<string>(), versionId = version["id"]!.GetValue<string>(), size = data?.LongLength,
                toolBytes, checksum, now,
            });
        return id;
    }

    private Task<string> OpenStackOkAsync(params string[] arguments) => OpenStackCli.OkAsync(server, arguments);

    private Task<ProcessResult> OpenStackAsync(params string[] arguments) => OpenStackCli.RunAsync(server, arguments);
}

using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Hoard.IntegrationTests.Infrastructure;

namespace Hoard.IntegrationTests;

/// <summary>
/// Backups kept in object storage, end to end: a hoard-server configured (through its environment) for Swift, another for
/// S3 against Swift's s3api, each taking a MariaDB backup into the private Swift, restoring it into a new instance with
/// exactly its rows, and deleting it from Swift. The storage key must never reach an instance's processes.
/// </summary>
[Collection(ObjectStorageCollection.Name)]
[Trait("Category", "Integration")]
public sealed class BackupObjectStorageTests(ObjectStorageFixture storage)
{
    private const string Password = "Backup-App-3";

    [SwiftFact]
    public async Task Swift_BackupIsStoredInSwift_RestoresItsRows_AndItsDeleteRemovesTheObject()
    {
        var (token, storageUrl) = await storage.Swift.AuthenticateAsync();
        Assert.False(string.IsNullOrEmpty(token));
        var (backup, location) = await RoundTripAsync(storage.SwiftServer, "swift");
        var key = $"{storage.SwiftServer.Admin.ProjectId}/{backup}";
        Assert.Equal($"{storageUrl}/{ObjectStorageFixture.SwiftContainer}/{key}", location);

        await DeleteBackupAsync(storage.SwiftServer, backup, location);
        Assert.Empty(await storage.Swift.ListAsync(ObjectStorageFixture.SwiftContainer + "_segments", key));
    }

    [SwiftFact]
    public async Task S3_BackupIsStoredThroughSwiftsS3Api_RestoresItsRows_AndItsDeleteRemovesTheObject()
    {
        var (backup, location) = await RoundTripAsync(storage.S3Server, "s3");
        Assert.Equal($"{storage.Swift.Endpoint}/{ObjectStorageFixture.S3Bucket}/{storage.S3Server.Admin.ProjectId}/{backup}", location);

        // The bucket is a container of the same Swift account: the object can be read (and found gone) through Swift.
        var (_, storageUrl) = await storage.Swift.AuthenticateAsync();
        await DeleteBackupAsync(storage.S3Server, backup,
            $"{storageUrl}/{ObjectStorageFixture.S3Bucket}/{storage.S3Server.Admin.ProjectId}/{backup}");
    }

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

        TroveClient.Expect(await server.Client.DeleteAsync(server.Admin, $"instances/{id}"), 202);
        await server.Client.WaitUntilGoneAsync(server.Admin, id);
    }

    /// <summary>
    /// A MariaDB instance with three rows, its backup (COMPLETED in <paramref name="driver"/> storage, the object in Swift as
    /// large as the backup says), two more rows, and a restore that holds exactly the first three. Returns the backup and
    /// its locationRef.
    /// </summary>
    private async Task<(string Backup, string Location)> RoundTripAsync(HoardServerFixture server, string driver)
    {
        var client = server.Client;
        var source = (await client.CreateInstanceAsync(server.Admin, TroveClient.InstanceBody($"{driver}-bk-source", "shop", "app", Password)))["id"]!.GetValue<string>();
        var sourceIp = (await client.WaitForActiveAsync(server.Admin, source))["ip"]![0]!.GetValue<string>();
        await MariaDbClient.QueryOkAsync(sourceIp, "app", Password, "shop",
            "CREATE TABLE rows_ (id INT PRIMARY KEY, v VARCHAR(20)); INSERT INTO rows_ VALUES (1, 'one'), (2, 'two'), (3, 'three');");

        var body = new JsonObject { ["backup"] = new JsonObject { ["name"] = $"{driver}-bk", ["instance"] = source } };
        var backup = TroveClient.Expect(await client.PostAsync(server.Admin, "backups", body.ToJsonString()), 202).Object["backup"]!["id"]!.GetValue<string>();
        JsonObject? shown = null;
        await Poll.UntilAsync(async () =>
        {
            shown = TroveClient.Expect(await client.GetAsync(server.Admin, $"backups/{backup}"), 200).Object["backup"]!.AsObject();
            Assert.NotEqual("FAILED", shown["status"]!.GetValue<string>());
            return shown["status"]!.GetValue<string>() == "COMPLETED";
        }, $"Backup {backup} to {driver} did not complete", 120, () => shown?.ToJsonString() ?? "nothing");
        Assert.Equal(driver, shown!["storage_driver"]!.GetValue<string>());
        var location = shown["locationRef"]!.GetValue<string>();
        Assert.StartsWith(storage.Swift.Endpoint + "/", location, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(server.DataDir, "backups", server.Admin.ProjectId)), "a backup to object storage was also kept on local disk");
        await client.WaitForActiveAsync(server.Admin, source);
        await MariaDbClient.QueryOkAsync(sourceIp, "app", Password, "shop", "INSERT INTO rows_ VALUES (4, 'four'), (5, 'five');");

        var restoreBody = TroveClient.InstanceBody($"{driver}-bk-restored", database: null, user: null);
        restoreBody["instance"]!["restorePoint"] = new JsonObject { ["backupRef"] = backup };
        var restored = (await client.CreateInstanceAsync(server.Admin, restoreBody))["id"]!.GetValue<string>();
        var restoredIp = (await client.WaitForActiveAsync(server.Admin, restored, seconds: 300))["ip"]![0]!.GetValue<string>();
        Assert.Equal("1\tone\n2\ttwo\n3\tthree",
            (await MariaDbClient.QueryOkAsync(restoredIp, "app", Password, "shop", "SELECT id, v FROM rows_ ORDER BY id")).Trim());

        foreach (var id in new[] { source, restored })
        {
            TroveClient.Expect(await client.DeleteAsync(server.Admin, $"instances/{id}"), 202);
        }

        foreach (var id in new[] { source, restored })
        {
            await client.WaitUntilGoneAsync(server.Admin, id);
        }

        Assert.DoesNotContain(storage.Swift.Key, server.ServerLog, StringComparison.Ordinal);
        return (backup, location);
    }

    /// <summary>The object is in Swift (as large as the backup's size says) until the backup is deleted, then 404.</summary>
    private async Task DeleteBackupAsync(HoardServerFixture server, string backup, string swiftUrl)
    {
        var size = TroveClient.Expect(await server.Client.GetAsync(server.Admin, $"backups/{backup}"), 200).Object["backup"]!["size"]!.GetValue<double>();
        var (status, length) = await storage.Swift.GetAsync(swiftUrl);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(length > 0 && Math.Abs(length / (double)(1L << 30) - size) < 0.001,
            $"Swift holds {length.ToString(CultureInfo.InvariantCulture)} bytes at {swiftUrl}; the backup's size is {size.ToString(CultureInfo.InvariantCulture)} GB");

        TroveClient.Expect(await server.Client.DeleteAsync(server.Admin, $"backups/{backup}"), 202);
        TroveClient.Expect(await server.Client.GetAsync(server.Admin, $"backups/{backup}"), 404);
        Assert.Equal(HttpStatusCode.NotFound, (await storage.Swift.GetAsync(swiftUrl)).Status);
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

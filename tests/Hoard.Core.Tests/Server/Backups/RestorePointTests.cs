using System.Text.Json.Nodes;
using Hoard.Core.Backups;
using Hoard.Server.Apis;
using Hoard.Server.Trove;

namespace Hoard.Core.Tests.Server.Backups;

/// <summary>An instance create's restorePoint, checked before anything is made.</summary>
public sealed class RestorePointTests : IAsyncLifetime
{
    private BackupBed _bed = null!;

    public async Task InitializeAsync() => _bed = await BackupBed.CreateAsync();

    public async Task DisposeAsync() => await _bed.DisposeAsync();

    [Fact]
    public async Task ACompletedBackupOfTheCaller_IsRestorable_IntoItsOwnDatastoreVersionByDefault()
    {
        var backup = await _bed.AddCompletedBackupAsync(await _bed.AddInstanceAsync("p1", "postgresql"), [1]);
        var layers = await ParseAsync("p1", $$$"""{"restorePoint":{"backupRef":"https://hoard/v1.0/p1/backups/{{{backup.Id}}}"}}""");

        Assert.Equal([backup.Id], layers!.Select(l => l.Id));
        var version = await RestorePoint.VersionAsync(_bed.Catalog, null, "instance.datastore", backup, default);
        Assert.Equal(("postgresql", backup.DatastoreVersionId), (version.DatastoreName, version.Id));
        Assert.Null(await ParseAsync("p1", """{"name":"no restore"}"""));
    }

    [Fact]
    public async Task AnotherProjectsOrAnUnknownBackup_Is404_AndABadReference400()
    {
        var backup = await _bed.AddCompletedBackupAsync(await _bed.AddInstanceAsync("p2"), [1]);
        Assert.Equal(404, (await FaultAsync("p1", $$$"""{"restorePoint":{"backupRef":"{{{backup.Id}}}"}}""")).Code);
        Assert.Equal(404, (await FaultAsync("p1", $$$"""{"restorePoint":{"backupRef":"{{{Guid.NewGuid()}}}"}}""")).Code);
        Assert.Equal(400, (await FaultAsync("p1", """{"restorePoint":{"backupRef":"nightly"}}""")).Code);
        Assert.Equal(400, (await FaultAsync("p1", """{"restorePoint":{}}""")).Code);
        Assert.Equal(400, (await FaultAsync("p1", """{"restorePoint":"x"}""")).Code);
    }

    [Fact]
    public async Task ABackupThatIsNotCompleted_Is409_NamingItsState()
    {
        var backup = await _bed.AddCompletedBackupAsync(await _bed.AddInstanceAsync("p1"), [1]);
        await using (var connection = await _bed.Db.OpenAsync(default))
        {
            await Dapper.SqlMapper.ExecuteAsync(connection, "UPDATE backups SET status = 'FAILED' WHERE id = @Id", new { backup.Id });
        }

        var fault = await FaultAsync("p1", $$$"""{"restorePoint":{"backupRef":"{{{backup.Id}}}"}}""");
        Assert.Equal((409, "conflict"), (fault.Code, fault.Name));
        Assert.Equal($"Unable to create instance because backup {backup.Id} is not completed. Actual state: FAILED.", fault.Message);
    }

    [Fact]
    public async Task AnIncremental_IsRestoredAsItsChain_TheFullBackupFirst()
    {
        var instance = await _bed.AddInstanceAsync("p1");
        var full = await _bed.AddCompletedBackupAsync(instance, [1]);
        var child = await _bed.AddCompletedBackupAsync(instance, [2], parent: full);
        var grandchild = await _bed.AddCompletedBackupAsync(instance, [3], parent: child);
        await _bed.AddCompletedBackupAsync(instance, [4], parent: grandchild);

        Assert.Equal([full.Id, child.Id, grandchild.Id], (await ParseAsync("p1", $$$"""{"restorePoint":{"backupRef":"{{{grandchild.Id}}}"}}"""))!.Select(l => l.Id));
        Assert.Equal([full.Id, child.Id], (await ParseAsync("p1", $$$"""{"restorePoint":{"backupRef":"{{{child.Id}}}"}}"""))!.Select(l => l.Id));
    }

    [Fact]
    public async Task AChainWithAFailedOrDeletedMember_Is409_NamingIt()
    {
        var instance = await _bed.AddInstanceAsync("p1");
        var full = await _bed.AddCompletedBackupAsync(instance, [1]);
        var child = await _bed.AddCompletedBackupAsync(instance, [2], parent: full);
        var grandchild = await _bed.AddCompletedBackupAsync(instance, [3], parent: child);
        await using (var connection = await _bed.Db.OpenAsync(default))
        {
            await Dapper.SqlMapper.ExecuteAsync(connection, "UPDATE backups SET status = 'FAILED' WHERE id = @Id", new { child.Id });
        }

        var fault = await FaultAsync("p1", $$$"""{"restorePoint":{"backupRef":"{{{grandchild.Id}}}"}}""");
        Assert.Equal((409, $"Unable to create instance because backup {child.Id}, which backup {grandchild.Id} builds on, is not completed. Actual state: FAILED."),
            (fault.Code, fault.Message));

        Assert.True(await _bed.Backups.TryMarkDeletedAsync(full.Id, default));
        await using (var connection = await _bed.Db.OpenAsync(default))
        {
            await Dapper.SqlMapper.ExecuteAsync(connection, "UPDATE backups SET status = 'COMPLETED' WHERE id = @Id", new { child.Id });
        }

        fault = await FaultAsync("p1", $$$"""{"restorePoint":{"backupRef":"{{{grandchild.Id}}}"}}""");
        Assert.Equal((409, $"Unable to create instance because backup {full.Id}, which backup {grandchild.Id} builds on, was deleted."),
            (fault.Code, fault.Message));
    }

    [Fact]
    public async Task AnotherDatastore_Is400_AsTroveSaysIt()
    {
        var backup = await _bed.AddCompletedBackupAsync(await _bed.AddInstanceAsync("p1"), [1]);
        var fault = await Assert.ThrowsAsync<TroveFault>(() => RestorePoint.VersionAsync(_bed.Catalog,
            JsonNode.Parse("""{"type":"postgresql"}""")!.AsObject(), "instance.datastore", backup, default));
        Assert.Equal(400, fault.Code);
        Assert.Equal("The datastore from which the backup was taken, mariadb, does not match the destination datastore of postgresql.", fault.Message);
    }

    [Fact]
    public async Task AVolumeSmallerThanWhatTheToolWrote_Is403_SayingHowLargeItMustBe()
    {
        var backup = await _bed.AddCompletedBackupAsync(await _bed.AddInstanceAsync("p1"), [1], toolBytes: (3L << 30) / 2);
        var fault = Assert.Throws<TroveFault>(() => RestorePoint.CheckFits([backup], 1));
        Assert.Equal(403, fault.Code);
        Assert.Equal("Backup is too large for given flavor or volume. Backup size: 1.5 GBs. Available size: 1 GBs. " +
                     "Ask for a volume of at least 2 GB.", fault.Message);
        RestorePoint.CheckFits([backup], 2);
    }

    private async Task<IReadOnlyList<BackupRecord>?> ParseAsync(string project, string spec) =>
        await RestorePoint.ParseAsync(_bed.Request(BackupBed.Token(project)), JsonNode.Parse(spec)!.AsObject(), "instance", _bed.Backups, default);

    private Task<TroveFault> FaultAsync(string project, string spec) => Assert.ThrowsAsync<TroveFault>(() => ParseAsync(project, spec));
}

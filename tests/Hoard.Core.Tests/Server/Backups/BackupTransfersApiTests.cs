using System.Net;
using System.Security.Cryptography;
using Hoard.Contracts.Guest;
using Hoard.Core.Backups;
using Hoard.Core.Instances;
using Hoard.Server.Apis;

namespace Hoard.Core.Tests.Server.Backups;

/// <summary>The transfer endpoints over real HTTP (Kestrel on loopback), with real storage and tokens.</summary>
public sealed class BackupTransfersApiTests : IAsyncLifetime
{
    private BackupBed _bed = null!;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromMinutes(2) };

    public async Task InitializeAsync()
    {
        _bed = await BackupBed.CreateAsync();
        await _bed.StartTransfersAsync();
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _bed.DisposeAsync();
    }

    [Fact]
    public async Task Upload_OfMoreThanKestrelsDefaultLimit_InChunks_IsStoredEncrypted_AndRecorded()
    {
        var backup = await BuildingAsync();
        var data = RandomNumberGenerator.GetBytes(40 * 1024 * 1024);
        var token = _bed.Tokens.Issue(backup.Id, TransferDirection.Upload, "w1", DateTimeOffset.UtcNow.AddMinutes(5));

        using var response = await PutAsync(backup.Id, token, data);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var recorded = (await _bed.Backups.GetAsync(backup.Id, default))!;
        var onDisk = await File.ReadAllBytesAsync(Path.Combine(_bed.Options.BackupDir, "p1", backup.Id));
        Assert.Equal((onDisk.LongLength, Convert.ToHexStringLower(SHA256.HashData(onDisk)), true),
            (recorded.Size!.Value, recorded.Checksum, recorded.Encrypted));
        Assert.True(onDisk.AsSpan().StartsWith("HOARDAE1"u8));
        Assert.Equal(new Uri(Path.Combine(_bed.Options.BackupDir, "p1", backup.Id)).AbsoluteUri, recorded.Location);

        recorded.Status = BackupStatus.Completed;
        var output = new MemoryStream();
        await _bed.Pipeline.SendAsync(recorded, output, default);
        Assert.Equal(data, output.ToArray());
    }

    [Fact]
    public async Task Upload_WithoutAValidToken_Is401_AndStoresNothing_WhileTheRightTokenStillWorks()
    {
        var backup = await BuildingAsync();
        var other = await BuildingAsync();
        var token = _bed.Tokens.Issue(backup.Id, TransferDirection.Upload, "w1", DateTimeOffset.UtcNow.AddMinutes(5));
        var download = _bed.Tokens.Issue(backup.Id, TransferDirection.Download, "w1", DateTimeOffset.UtcNow.AddMinutes(5));

        foreach (var (id, shown) in new[] { (backup.Id, (string?)null), (backup.Id, "guess"), (other.Id, token), (backup.Id, download) })
        {
            using var refused = await PutAsync(id, shown, [1, 2, 3]);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        // In the URL it is not a token: tokens travel only in the header.
        using (var inQuery = await _http.PutAsync($"{BackupTransfersApi.Url(_bed.Options, backup.Id)}?token={token}", new ByteArrayContent([1])))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, inQuery.StatusCode);
        }

        Assert.Null(await _bed.Storage.GetSizeAsync(backup.StorageKey, default));
        Assert.Null(await _bed.Storage.GetSizeAsync(other.StorageKey, default));
        using var accepted = await PutAsync(backup.Id, token, [1, 2, 3]);
        Assert.Equal(HttpStatusCode.Created, accepted.StatusCode);
        using var again = await PutAsync(backup.Id, token, [1, 2, 3]);
        Assert.Equal(HttpStatusCode.Unauthorized, again.StatusCode);
    }

    [Fact]
    public async Task Upload_ForABackupNoLongerBeingBuilt_Is409()
    {
        var backup = await BuildingAsync();
        await _bed.Backups.TryFailAsync(backup.Id, "ended", default);
        var token = _bed.Tokens.Issue(backup.Id, TransferDirection.Upload, "w1", DateTimeOffset.UtcNow.AddMinutes(5));

        using var response = await PutAsync(backup.Id, token, [1, 2, 3]);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Null(await _bed.Storage.GetSizeAsync(backup.StorageKey, default));
    }

    [Fact]
    public async Task Download_SendsTheZstdStreamOnce()
    {
        var data = RandomNumberGenerator.GetBytes(3 * BackupCipher.ChunkSize + 11);
        var backup = await _bed.AddCompletedBackupAsync(await _bed.AddInstanceAsync("p1"), data);
        var token = _bed.Tokens.Issue(backup.Id, TransferDirection.Download, "w1", DateTimeOffset.UtcNow.AddMinutes(5));

        using (var response = await GetAsync(backup.Id, token))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("application/zstd", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal(data, await response.Content.ReadAsByteArrayAsync());
        }

        using var again = await GetAsync(backup.Id, token);
        Assert.Equal(HttpStatusCode.Unauthorized, again.StatusCode);
    }

    [Fact]
    public async Task Download_OfDataWithOneFlippedByte_IsRefusedWith409_BeforeAnyOfItIsSent()
    {
        var backup = await _bed.AddCompletedBackupAsync(await _bed.AddInstanceAsync("p1"), RandomNumberGenerator.GetBytes(2 * BackupCipher.ChunkSize));
        var path = Path.Combine(_bed.Options.BackupDir, "p1", backup.Id);
        var bytes = await File.ReadAllBytesAsync(path);
        bytes[^100] ^= 0x80;
        await File.WriteAllBytesAsync(path, bytes);
        var token = _bed.Tokens.Issue(backup.Id, TransferDirection.Download, "w1", DateTimeOffset.UtcNow.AddMinutes(5));

        using var response = await GetAsync(backup.Id, token);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.StartsWith("""{"conflict":{"code":409,"message":"Backup""", body, StringComparison.Ordinal);
        Assert.Contains("failed its integrity check", body, StringComparison.Ordinal);
    }

    private async Task<BackupRecord> BuildingAsync()
    {
        var instance = await _bed.AddInstanceAsync("p1");
        var version = (await _bed.Catalog.GetVersionAsync(instance.DatastoreVersionId, default))!;
        var backup = BackupBed.NewBackup(instance, version);
        var workflow = Hoard.Server.TaskManager.Workflows.CreateBackupWorkflow.Create(backup, backup.Created);
        workflow.Status = Hoard.Core.Workflows.WorkflowStatus.Succeeded;
        Assert.True((await _bed.Backups.TryBeginAsync(backup, workflow, InstanceTask.BackingUp, [InstanceTask.None], new Dictionary<string, int>(), default)).Begun);
        Assert.True(await _bed.Backups.TryBeginBuildingAsync(backup.Id, default));
        return (await _bed.Backups.GetAsync(backup.Id, default))!;
    }

    private Task<HttpResponseMessage> PutAsync(string backupId, string? token, byte[] data)
    {
        // A stream of unknown length goes chunked, as a guest's zstd pipe does.
        var request = new HttpRequestMessage(HttpMethod.Put, BackupTransfersApi.Url(_bed.Options, backupId))
        {
            Content = new StreamContent(new NonSeekableStream(data)),
        };
        if (token is not null)
        {
            request.Headers.Add(BackupStrategies.TokenHeader, token);
        }

        return _http.SendAsync(request);
    }

    private Task<HttpResponseMessage> GetAsync(string backupId, string token)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, BackupTransfersApi.Url(_bed.Options, backupId));
        request.Headers.Add(BackupStrategies.TokenHeader, token);
        return _http.SendAsync(request);
    }

    private sealed class NonSeekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}

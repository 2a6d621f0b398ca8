using System.Net;
using System.Security.Cryptography;
using Hoard.Contracts.Guest;
using Hoard.Core.Backups;
using Hoard.Core.PointInTime;
using Hoard.Core.Tests.Server.Backups;
using Hoard.Persistence;
using Hoard.Server.Apis;
using Hoard.Server.Identity;
using Hoard.Server.TaskManager;
using Hoard.Server.Trove;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Hoard.Core.Tests.Server.PointInTime;

/// <summary>The WAL archive endpoints over real HTTP, with real storage, the state DB, the window they feed and the janitor.</summary>
public sealed class WalArchiveApiTests : IAsyncLifetime
{
    private const string Segment2 = "000000010000000000000002";
    private BackupBed _bed = null!;
    private WalArchiveStore _wal = null!;
    private WebApplication _app = null!;
    private string _baseUrl = "";
    private readonly HttpClient _http = new();

    public async Task InitializeAsync()
    {
        _bed = await BackupBed.CreateAsync();
        _wal = new WalArchiveStore(_bed.Db, TimeProvider.System);
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(_bed.Instances).AddSingleton(_wal).AddSingleton(_bed.Pipeline).AddSingleton(_bed.Tokens)
            .AddSingleton(_bed.OptionsWrapper).AddSingleton(TimeProvider.System);
        _app = builder.Build();
        _app.UseMiddleware<FaultMiddleware>();
        _app.MapWalArchiveApi();
        await _app.StartAsync();
        _baseUrl = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _app.DisposeAsync();
        await _bed.DisposeAsync();
    }

    [Fact]
    public async Task AFileSentWithTheInstancesToken_IsStoredEncryptedAndRecorded_AndServedOnceToARestore()
    {
        var (instance, token) = await ArchivingInstanceAsync();
        var data = RandomNumberGenerator.GetBytes(100_000);
        var written = new DateTimeOffset(2026, 11, 30, 23, 10, 5, 250, TimeSpan.Zero);

        using (var put = await PutAsync(instance.Id, Segment2, token, data, written))
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);

        var recorded = (await _wal.GetAsync(instance.Id, Segment2, default))!;
        Assert.Equal((WalFileKind.Segment, 1L, 2L, written, true), (recorded.Kind, recorded.Timeline, recorded.Segment, recorded.EndTime, recorded.Encrypted));
        var onDisk = await File.ReadAllBytesAsync(Path.Combine(_bed.Options.BackupDir, instance.ProjectId, "wal", instance.Id, Segment2));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(onDisk)), recorded.Checksum);
        Assert.True(onDisk.AsSpan().StartsWith("HOARDAE1"u8));

        var download = _bed.Tokens.Issue(WalArchiveApi.TransferId(instance.Id, Segment2), TransferDirection.Download, "w1", DateTimeOffset.UtcNow.AddMinutes(5));
        using (var get = await GetAsync(instance.Id, Segment2, download))
        {
            Assert.Equal(HttpStatusCode.OK, get.StatusCode);
            Assert.Equal(data, await get.Content.ReadAsByteArrayAsync());
        }

        using (var again = await GetAsync(instance.Id, Segment2, download))
            Assert.Equal(HttpStatusCode.Unauthorized, again.StatusCode);
    }

    [Fact]
    public async Task WithoutTheRightToken_OrWithABadName_NothingIsStored()
    {
        var (instance, token) = await ArchivingInstanceAsync();
        var (other, _) = await ArchivingInstanceAsync();

        foreach (var (id, name, shown, status) in new[]
                 {
                     (instance.Id, Segment2, (string?)null, HttpStatusCode.Unauthorized),
                     (instance.Id, Segment2, "guess", HttpStatusCode.Unauthorized),
                     (other.Id, Segment2, token, HttpStatusCode.Unauthorized),
                     (instance.Id, "RECOVERYXLOG", token, HttpStatusCode.BadRequest),
                 })
        {
            using var response = await PutAsync(id, name, shown, [1, 2, 3], DateTimeOffset.UtcNow);
            Assert.Equal(status, response.StatusCode);
        }

        Assert.Empty(await _wal.ListAsync(instance.Id, default));
        Assert.Empty(await _wal.ListAsync(other.Id, default));
        using (var get = await GetAsync(instance.Id, Segment2, token))
            Assert.Equal(HttpStatusCode.Unauthorized, get.StatusCode);
    }

    [Fact]
    public async Task TheWindowFollowsTheArchive_AndTheJanitorKeepsOnlyWhatBackupsCanReplay_AndAllOfADeletedInstance()
    {
        var (instance, token) = await ArchivingInstanceAsync();
        var t0 = DateTimeOffset.UtcNow.AddHours(-3);
        foreach (var segment in new long[] { 1, 2, 3, 4 })
        {
            using var put = await PutAsync(instance.Id, WalFileName.SegmentName(1, segment), token, [(byte)segment], t0.AddMinutes(segment));
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        }

        var windows = new RecoveryWindows(_bed.Backups, _wal);
        Assert.Null((await windows.ComputeAsync(instance.Id, default)).Shown);
        var backup = await _bed.AddCompletedBackupAsync(instance, [1]);
        await SetMetadataAsync(backup.Id, Segment2, t0.AddMinutes(1.5));
        var shown = (await windows.ComputeAsync(instance.Id, default)).Shown!;
        Assert.Equal((t0.AddMinutes(1.5), t0.AddMinutes(4)), (shown.From, shown.To), new WholeSeconds());

        var janitor = new WalArchiveJanitor(_wal, windows, _bed.Pipeline, _bed.OptionsWrapper, new Hoard.Core.Tests.Backups.ManualTime(DateTimeOffset.UtcNow.AddDays(1)),
            BackupBed.Log<WalArchiveJanitor>());
        await janitor.CleanAsync(default);
        Assert.Equal([Segment2, WalFileName.SegmentName(1, 3), WalFileName.SegmentName(1, 4)], (await _wal.ListAsync(instance.Id, default)).Select(f => f.Name));
        Assert.False(File.Exists(Path.Combine(_bed.Options.BackupDir, instance.ProjectId, "wal", instance.Id, WalFileName.SegmentName(1, 1))));

        await using (var connection = await _bed.Db.OpenAsync(default))
            await Dapper.SqlMapper.ExecuteAsync(connection, "UPDATE instances SET deleted = 1 WHERE id = @id", new { id = instance.Id });
        await janitor.CleanAsync(default);
        Assert.Empty(await _wal.ListAsync(instance.Id, default));
        Assert.Null(await _wal.GetTokenHashAsync(instance.Id, default));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_bed.Options.BackupDir, instance.ProjectId, "wal", instance.Id)));
    }

    private async Task<(Hoard.Core.Instances.InstanceRecord Instance, string Token)> ArchivingInstanceAsync()
    {
        var instance = await _bed.AddInstanceAsync("p1", "postgresql");
        var token = Secrets.NewToken();
        await _wal.SetTokenHashAsync(instance.Id, instance.ProjectId, Secrets.Sha256(token), default);
        return (instance, token);
    }

    private async Task SetMetadataAsync(string backupId, string startFile, DateTimeOffset consistentAt)
    {
        await using var connection = await _bed.Db.OpenAsync(default);
        await Dapper.SqlMapper.ExecuteAsync(connection, "UPDATE backups SET metadata = @metadata WHERE id = @backupId", new
        {
            backupId,
            metadata = $$"""{"{{WalArchiving.StartFileKey}}":"{{startFile}}","{{WalArchiving.ConsistentAtKey}}":"{{consistentAt.UtcDateTime:O}}"}""",
        });
    }

    private Task<HttpResponseMessage> PutAsync(string instanceId, string name, string? token, byte[] data, DateTimeOffset written)
    {
        var request = new HttpRequestMessage(HttpMethod.Put, $"{_baseUrl}{WalArchiveApi.Prefix}/{instanceId}/{name}") { Content = new ByteArrayContent(data) };
        if (token is not null)
            request.Headers.Add(BackupStrategies.TokenHeader, token);
        request.Headers.Add(WalArchiving.EndTimeHeader, written.ToString("O"));
        return _http.SendAsync(request);
    }

    private Task<HttpResponseMessage> GetAsync(string instanceId, string name, string token)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, $"{_baseUrl}{WalArchiveApi.Prefix}/{instanceId}/{name}");
        request.Headers.Add(BackupStrategies.TokenHeader, token);
        return _http.SendAsync(request);
    }

    /// <summary>The shown window is in whole seconds: equal when within one second.</summary>
    private sealed class WholeSeconds : IEqualityComparer<(DateTimeOffset, DateTimeOffset)>
    {
        public bool Equals((DateTimeOffset, DateTimeOffset) x, (DateTimeOffset, DateTimeOffset) y) =>
            Math.Abs((x.Item1 - y.Item1).TotalSeconds) < 1 && Math.Abs((x.Item2 - y.Item2).TotalSeconds) < 1;

        public int GetHashCode((DateTimeOffset, DateTimeOffset) obj) => 0;
    }
}

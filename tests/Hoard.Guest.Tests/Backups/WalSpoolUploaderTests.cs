using System.Globalization;
using Hoard.Guest.Backups;

namespace Hoard.Guest.Tests.Backups;

/// <summary>The guest's half of WAL archiving against a stand-in of hoard-server: order, end times, the spool emptied, failures kept.</summary>
public sealed class WalSpoolUploaderTests(WalReceiver receiver) : IClassFixture<WalReceiver>, IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("hoard-walspool-").FullName;
    private readonly List<string> _log = [];

    private InstancePaths Paths => new(Path.Combine(_root, "data"), Path.Combine(_root, "run"), Path.Combine(_root, "log"), Path.Combine(_root, "etc"));

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task SpooledFiles_AreSentInNameOrder_WithTheirLastWriteTime_AndLeaveTheSpool()
    {
        var spool = CreateSpool();
        var written = new DateTime(2026, 11, 30, 23, 10, 5, 123, DateTimeKind.Utc);
        var files = new Dictionary<string, byte[]>
        {
            ["000000010000000000000003"] = RandomBytes(1 << 20),
            ["00000002.history"] = "1\t0/3000000\tbefore 2026-11-30 23:10:05+00\n"u8.ToArray(),
            ["000000010000000000000002"] = new byte[16 << 20],
        };
        foreach (var (name, bytes) in files)
        {
            await File.WriteAllBytesAsync(Path.Combine(spool, name), bytes);
            File.SetLastWriteTimeUtc(Path.Combine(spool, name), written);
        }

        await File.WriteAllTextAsync(Path.Combine(spool, ".000000010000000000000004.tmp"), "being copied");
        WalSpool.SaveTarget(Paths, receiver.Target());

        await UploadAsync();

        Assert.Equal(["000000010000000000000002", "000000010000000000000003", "00000002.history"],
            receiver.Arrivals.Where(files.ContainsKey).ToList());
        foreach (var (name, bytes) in files)
        {
            Assert.Equal(bytes, receiver.Plain(name));
            Assert.Equal(written, DateTimeOffset.Parse(receiver.Files[name].EndTime, CultureInfo.InvariantCulture).UtcDateTime);
        }

        Assert.True(receiver.Files["000000010000000000000002"].Zstd.Length < 64 * 1024, "16 MB of zeros (a switched segment) went out uncompressed");
        Assert.Equal([".000000010000000000000004.tmp"], Directory.EnumerateFiles(spool).Select(Path.GetFileName));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(WalSpool.TargetFile(Paths)));
    }

    [Fact]
    public async Task ARefusedToken_KeepsTheFile_AndNeverShowsTheToken()
    {
        var spool = CreateSpool();
        await File.WriteAllBytesAsync(Path.Combine(spool, "000000010000000000000009"), [1, 2, 3]);
        const string Wrong = "not-the-wal-token-1234";
        WalSpool.SaveTarget(Paths, receiver.Target(Wrong));

        var refused = await Assert.ThrowsAsync<IOException>(UploadAsync);

        Assert.Contains("hoard-server refused 000000010000000000000009: HTTP 401", refused.Message);
        Assert.DoesNotContain(Wrong, refused.Message);
        Assert.True(File.Exists(Path.Combine(spool, "000000010000000000000009")));
        Assert.False(receiver.Files.ContainsKey("000000010000000000000009"));
    }

    [Fact]
    public async Task WithoutATarget_NothingIsSent()
    {
        var spool = CreateSpool();
        await File.WriteAllBytesAsync(Path.Combine(spool, "00000001000000000000000A"), [1]);

        await UploadAsync();

        Assert.True(File.Exists(Path.Combine(spool, "00000001000000000000000A")));
    }

    private string CreateSpool()
    {
        var spool = WalSpool.Directory(Paths);
        Directory.CreateDirectory(spool);
        return spool;
    }

    private async Task UploadAsync()
    {
        using var client = new HttpClient();
        await new WalSpoolUploader(Paths, _log.Add, TimeProvider.System).UploadPendingAsync(client, CancellationToken.None);
    }

    private static byte[] RandomBytes(int count)
    {
        var bytes = new byte[count];
        Random.Shared.NextBytes(bytes);
        return bytes;
    }
}

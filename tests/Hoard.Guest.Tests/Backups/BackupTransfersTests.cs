using System.Diagnostics;
using System.Formats.Tar;
using Hoard.Contracts.Bus;
using Hoard.Contracts.Guest;
using Hoard.Guest.Backups;

namespace Hoard.Guest.Tests.Backups;

/// <summary>The transfer of a backup's data, against an in-test receiver, with tools stood in for by small programs.</summary>
public sealed class BackupTransfersTests(BackupReceiver receiver) : IClassFixture<BackupReceiver>
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task Upload_SendsTheToolOutputZstdCompressedAndChunked_WithTheTokenOnlyInItsHeader()
    {
        var id = NewId();
        var data = SomeData(3_000_000);

        var toolBytes = await BackupTransfers.UploadAsync(id, receiver.Upload(id), (output, token) => output.WriteAsync(data, token).AsTask(), None);

        Assert.Equal(data.Length, toolBytes);
        var upload = receiver.Uploads[id];
        Assert.True(upload.Completed);
        Assert.Equal("application/octet-stream", upload.ContentType);
        Assert.Equal("chunked", upload.TransferEncoding);
        Assert.Equal("", upload.Query);
        var stored = await File.ReadAllBytesAsync(receiver.PathOf(id));
        Assert.Equal([0x28, 0xB5, 0x2F, 0xFD], stored[..4]);
        Assert.True(stored.Length < data.Length / 2, $"{stored.Length} bytes stored for {data.Length} compressible ones");
        Assert.Equal(data, await DownloadAsync(id));
    }

    [Fact]
    public async Task Upload_WhenTheToolFails_BreaksOffAndSaysWhichToolAndWhy_WithoutItsSecrets()
    {
        var id = NewId();
        var tool = new ProcessStartInfo("/bin/sh")
        {
            ArgumentList = { "-c", "head -c 200000 /dev/zero; echo 'progress line' >&2; echo 'ERROR: cannot read table t, password was S3cret-Pw' >&2; exit 3" },
        };

        var error = await Assert.ThrowsAsync<HandlerException>(() =>
            BackupTransfers.UploadFromToolAsync(id, receiver.Upload(id), "fake-backup", tool, ["S3cret-Pw"], None));

        Assert.Equal(GuestErrorCodes.Internal, error.Code);
        Assert.Contains("fake-backup exited with code 3", error.Message);
        Assert.Contains("cannot read table t", error.Message);
        Assert.DoesNotContain("S3cret-Pw", error.Message);
        await Poll.UntilAsync(() => receiver.Uploads[id].BrokeOff, "the receiver never saw the upload break off");
        Assert.False(receiver.Uploads[id].Completed);
        Assert.False(File.Exists(receiver.PathOf(id)));
    }

    [Fact]
    public async Task Upload_WithAWrongToken_IsRefusedClearly_AndTheToolNeverRuns()
    {
        var id = NewId();
        var ran = false;

        var error = await Assert.ThrowsAsync<HandlerException>(() => BackupTransfers.UploadAsync(id, receiver.Upload(id, token: "wrong-token-123"),
            (output, token) =>
            {
                ran = true;
                return Task.CompletedTask;
            }, None));

        Assert.Contains($"hoard-server refused the upload of backup {id}: HTTP 403", error.Message);
        Assert.Contains("A valid transfer token is required.", error.Message);
        Assert.DoesNotContain("wrong-token-123", error.Message);
        Assert.False(ran);
    }

    [Theory]
    [InlineData("truncated")]
    [InlineData("garbled")]
    public async Task Download_OfADamagedStream_FailsClearly(string damage)
    {
        var id = NewId();
        var data = SomeData(2_000_000);
        await BackupTransfers.UploadAsync(id, receiver.Upload(id), (output, token) => output.WriteAsync(data, token).AsTask(), None);
        receiver.Damage[id] = damage == "truncated"
            ? bytes => bytes[..(bytes.Length * 2 / 3)]
            : bytes =>
            {
                var copy = (byte[])bytes.Clone();
                for (var i = copy.Length / 2; i < copy.Length / 2 + 16; i++)
                    copy[i] ^= 0x5A;
                return copy;
            };

        var error = await Assert.ThrowsAsync<HandlerException>(() => DownloadAsync(id));

        Assert.Contains($"The download of backup {id} is damaged or incomplete", error.Message);
    }

    [Fact]
    public async Task Download_WithAWrongToken_IsRefusedClearly()
    {
        var id = NewId();
        await BackupTransfers.UploadAsync(id, receiver.Upload(id), (output, token) => output.WriteAsync(SomeData(1000), token).AsTask(), None);

        var error = await Assert.ThrowsAsync<HandlerException>(() =>
            BackupTransfers.DownloadAsync(receiver.Layer(id, token: "nope-456"), (data, token) => data.CopyToAsync(Stream.Null, token), None));

        Assert.Contains($"hoard-server refused the download of backup {id}: HTTP 403", error.Message);
        Assert.DoesNotContain("nope-456", error.Message);
    }

    [Fact]
    public async Task DownloadIntoTool_FeedsItsStdin_AndATool_ThatFails_IsNamed()
    {
        var id = NewId();
        await BackupTransfers.UploadAsync(id, receiver.Upload(id), (output, token) => output.WriteAsync(SomeData(500_000), token).AsTask(), None);
        var target = Path.Combine(Path.GetTempPath(), $"hoard-transfer-{id}");

        await BackupTransfers.DownloadIntoToolAsync(receiver.Layer(id), "cat", new ProcessStartInfo("/bin/sh") { ArgumentList = { "-c", $"cat > {target}" } }, None);
        var error = await Assert.ThrowsAsync<HandlerException>(() => BackupTransfers.DownloadIntoToolAsync(receiver.Layer(id), "fussy-tool",
            new ProcessStartInfo("/bin/sh") { ArgumentList = { "-c", "head -c 10 > /dev/null; echo 'error: not an archive' >&2; exit 2" } }, None));

        Assert.Equal(SomeData(500_000), await File.ReadAllBytesAsync(target));
        File.Delete(target);
        Assert.Contains("fussy-tool exited with code 2: error: not an archive", error.Message);
    }

    [Theory]
    [InlineData("../outside")]
    [InlineData("/etc/evil")]
    [InlineData("base/../../outside")]
    public async Task TarExtraction_RefusesAPathOutsideTheTarget(string name)
    {
        var target = Directory.CreateTempSubdirectory("hoard-tar-").FullName;
        try
        {
            var tar = new MemoryStream();
            await using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
                await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream([1, 2, 3]) });
            tar.Position = 0;

            var error = await Assert.ThrowsAsync<InvalidDataException>(() => TarExtraction.ExtractAsync(tar, target, _ => { }, None));

            Assert.Contains("outside its data directory", error.Message);
            Assert.Empty(Directory.EnumerateFileSystemEntries(target));
        }
        finally
        {
            Directory.Delete(target, recursive: true);
        }
    }

    [Fact]
    public async Task TarExtraction_RefusesLinks_AndUnpacksFilesPrivately()
    {
        var target = Directory.CreateTempSubdirectory("hoard-tar-").FullName;
        try
        {
            var tar = new MemoryStream();
            await using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
            {
                await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, "base/1/1234") { DataStream = new MemoryStream([7, 8]) });
                await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.SymbolicLink, "pg_tblspc/16384") { LinkName = "/somewhere/else" });
            }

            tar.Position = 0;
            var given = new List<string>();

            var error = await Assert.ThrowsAsync<InvalidDataException>(() => TarExtraction.ExtractAsync(tar, target, given.Add, None));

            Assert.Contains("SymbolicLink", error.Message);
            var file = Path.Combine(target, "base", "1", "1234");
            Assert.Equal([7, 8], await File.ReadAllBytesAsync(file));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
            Assert.Equal([Path.Combine(target, "base"), Path.Combine(target, "base", "1"), file], given);
        }
        finally
        {
            Directory.Delete(target, recursive: true);
        }
    }

    [Theory]
    [InlineData("""{"conflict": {"code": 409, "message": "Backup b1 is not being built."}}""", "Backup b1 is not being built.")]
    [InlineData("""{"message": "plain"}""", "plain")]
    [InlineData("Service Unavailable\n", "Service Unavailable")]
    [InlineData("", null)]
    public void FaultMessage_ReadsTroveFaultsAndPlainText(string body, string? expected) =>
        Assert.Equal(expected, BackupTransfers.FaultMessage(body));

    private async Task<byte[]> DownloadAsync(string id)
    {
        var copy = new MemoryStream();
        await BackupTransfers.DownloadAsync(receiver.Layer(id), (data, token) => data.CopyToAsync(copy, token), None);
        return copy.ToArray();
    }

    private static string NewId() => Guid.NewGuid().ToString();

    /// <summary>Deterministic, and compressible the way table data is: repeated words with some noise.</summary>
    private static byte[] SomeData(int length)
    {
        var data = new byte[length];
        var words = "alpha beta gamma delta epsilon "u8.ToArray();
        for (var i = 0; i < length; i++)
            data[i] = i % 97 == 0 ? (byte)(i * 31) : words[i % words.Length];
        return data;
    }
}

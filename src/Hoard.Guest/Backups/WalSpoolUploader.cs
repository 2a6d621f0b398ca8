using System.Diagnostics;
using System.Globalization;
using Hoard.Contracts.Guest;

namespace Hoard.Guest.Backups;

/// <summary>
/// Sends the files of the WAL spool to hoard-server in name order (timeline histories before segments, segments in
/// order), one PUT each, zstd-compressed, with the file's last write time (<see cref="WalArchiving.EndTimeHeader"/>), and
/// deletes each once stored. A failure is retried with back-off, the file kept; the token is never logged.
/// </summary>
internal sealed class WalSpoolUploader(InstancePaths paths, Action<string> log, TimeProvider time)
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StaleTemporary = TimeSpan.FromHours(1);

    /// <summary>Files stored by hoard-server since the guest started.</summary>
    public long Uploaded { get; private set; }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var client = CreateClient();
        var backoff = TimeSpan.Zero;
        string? lastFailure = null;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(backoff > Poll ? backoff : Poll, time, cancellationToken);
                await UploadPendingAsync(client, cancellationToken);
                if (lastFailure is not null)
                    log("WAL archiving works again.");
                backoff = TimeSpan.Zero;
                lastFailure = null;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // Logged when the reason changes, not at every retry.
                if (e.Message != lastFailure)
                    log($"WAL archiving failed, retrying with back-off: {e.Message}");
                lastFailure = e.Message;
                backoff = backoff == TimeSpan.Zero ? TimeSpan.FromSeconds(1) : TimeSpan.FromTicks(Math.Min(MaxBackoff.Ticks, backoff.Ticks * 2));
            }
        }
    }

    /// <summary>Uploads every complete file in the spool, oldest name first; throws at the first that fails.</summary>
    internal async Task UploadPendingAsync(HttpClient client, CancellationToken cancellationToken)
    {
        var spool = WalSpool.Directory(paths);
        if (!Directory.Exists(spool))
            return;
        WalArchiveTarget? target = null;
        foreach (var path in Directory.EnumerateFiles(spool).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(path);
            if (name.StartsWith(WalSpool.TemporaryPrefix, StringComparison.Ordinal))
            {
                // A copy the archive step never finished (the server crashed mid-copy); the step itself copies the file again.
                if (time.GetUtcNow() - File.GetLastWriteTimeUtc(path) > StaleTemporary)
                    File.Delete(path);
                continue;
            }

            target ??= WalSpool.LoadTarget(paths);
            if (target is null)
                return;
            await UploadAsync(client, target, path, name, cancellationToken);
            File.Delete(path);
            Uploaded++;
        }
    }

    private async Task UploadAsync(HttpClient client, WalArchiveTarget target, string path, string name, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var endTime = new DateTimeOffset(File.GetLastWriteTimeUtc(path), TimeSpan.Zero);
        var content = new ToolOutputContent(async (output, token) =>
        {
            await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, BackupTransfers.BufferSize, FileOptions.SequentialScan);
            await file.CopyToAsync(output, BackupTransfers.BufferSize, token);
        }, BackupTransfers.CompressionLevel, BackupTransfers.BufferSize);
        using var request = new HttpRequestMessage(HttpMethod.Put, $"{target.Url}/{Uri.EscapeDataString(name)}") { Content = content };
        request.Headers.TryAddWithoutValidation(BackupStrategies.TokenHeader, target.Token);
        request.Headers.TryAddWithoutValidation(WalArchiving.EndTimeHeader, endTime.ToString("O", CultureInfo.InvariantCulture));
        request.Headers.TransferEncodingChunked = true;
        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new IOException(Scrub($"sending {name} to hoard-server failed: {e.Message}", target));
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                var body = BackupTransfers.FaultMessage(await response.Content.ReadAsStringAsync(cancellationToken));
                throw new IOException(Scrub($"hoard-server refused {name}: HTTP {(int)response.StatusCode}{(body is null ? "" : ": " + body)}", target));
            }
        }

        log($"Archived WAL file {name}: {content.ToolBytes} bytes, sent {(time.GetUtcNow() - endTime).TotalMilliseconds:0} ms after its last write " +
            $"(upload {watch.ElapsedMilliseconds} ms).");
    }

    private static HttpClient CreateClient() => new(new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        UseProxy = false,
        ConnectTimeout = TimeSpan.FromSeconds(30),
    })
    {
        Timeout = TimeSpan.FromMinutes(5),
    };

    private static string Scrub(string message, WalArchiveTarget target) => ToolProcess.Scrub(message, [target.Token]);
}

using Hoard.Contracts.Bus;
using Hoard.Contracts.Guest;
using ZstdSharp;

namespace Hoard.Guest.Backups;

/// <summary>
/// Fetches archived log files for a point-in-time restore: each file's zstd stream (checked by hoard-server before it is
/// sent, and by its zstd checksum here) into a new file, mode 0600. The one-time tokens never reach a message.
/// </summary>
internal static class WalFileDownloads
{
    public static HttpClient CreateClient() => new(new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        UseProxy = false,
        ConnectTimeout = TimeSpan.FromSeconds(30),
        AutomaticDecompression = System.Net.DecompressionMethods.None,
    })
    {
        Timeout = TimeSpan.FromMinutes(10),
    };

    public static async Task DownloadAsync(HttpClient client, WalFileDownload file, string path, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, file.Download.Url);
        request.Headers.TryAddWithoutValidation(BackupStrategies.TokenHeader, file.Download.Token);
        try
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                var fault = BackupTransfers.FaultMessage(await response.Content.ReadAsStringAsync(cancellationToken));
                throw new HandlerException(GuestErrorCodes.Internal, ToolProcess.Scrub(
                    $"hoard-server refused log file {file.Name}: HTTP {(int)response.StatusCode}{(fault is null ? "" : ": " + fault)}", [file.Download.Token]));
            }

            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            await using var zstd = new DecompressionStream(body, BackupTransfers.BufferSize, checkEndOfStream: true, leaveOpen: true);
            await using var output = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
            await zstd.CopyToAsync(output, BackupTransfers.BufferSize, cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or ZstdException)
        {
            throw new HandlerException(GuestErrorCodes.Internal, ToolProcess.Scrub(
                $"The download of log file {file.Name} is damaged or incomplete, so it cannot be replayed: {e.Message}", [file.Download.Token]));
        }
    }
}

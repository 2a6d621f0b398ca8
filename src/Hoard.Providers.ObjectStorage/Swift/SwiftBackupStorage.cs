using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Hoard.Core.Backups;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hoard.Providers.ObjectStorage.Swift;

/// <summary>
/// Backups in OpenStack Swift, each a static large object: its bytes streamed in segments (chunked PUTs, MD5-checked) to
/// <c>&lt;SegmentContainer&gt;/&lt;key&gt;.&lt;upload id&gt;/&lt;n&gt;</c>, then a manifest under the key in the container, so a
/// backup becomes visible only when complete. '.' never occurs in a key, so <c>&lt;key&gt;.</c> prefixes exactly the
/// segments of one key, whatever upload left them.
/// </summary>
public sealed partial class SwiftBackupStorage : IBackupStorage, IDisposable
{
    public const string DriverName = "swift";
    private const int CopyBufferSize = 1 << 20;
    private static readonly TimeSpan CleanupTimeout = TimeSpan.FromMinutes(2);
    private readonly SwiftOptions _options;
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly SwiftClient _client;
    private readonly ILogger _logger;
    private volatile bool _containersExist;

    /// <param name="http">Shared client; without one the storage makes (and disposes) its own. It must have no timeout of its own: a segment's PUT takes as long as it takes.</param>
    public SwiftBackupStorage(SwiftOptions options, HttpClient? http = null, TimeProvider? time = null, ILogger<SwiftBackupStorage>? logger = null)
    {
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid Swift settings: " + string.Join(" ", errors), nameof(options));
        }

        _options = options;
        _ownsHttp = http is null;
        _http = http ?? new HttpClient(new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(5), ConnectTimeout = TimeSpan.FromSeconds(Math.Min(30, options.RequestTimeoutSeconds)),
        })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _client = new SwiftClient(options, _http, new SwiftAuthenticator(options, _http, time ?? TimeProvider.System), _logger);
    }

    /// <summary>The same account, session and HTTP client, with objects in another container (segments in its <c>_segments</c>).</summary>
    private SwiftBackupStorage(SwiftBackupStorage parent, string container)
    {
        _options = parent._options.WithContainer(container);
        _http = parent._http;
        _client = parent._client;
        _logger = parent._logger;
    }

    public string Name => DriverName;

    public string DefaultContainer => _options.Container;

    public IBackupStorage InContainer(string container) =>
        container == _options.Container ? this
        : BackupKeys.IsContainerName(container) ? new SwiftBackupStorage(this, container)
        : throw new ArgumentException($"'{container}' is not a valid container name.", nameof(container));

    public async Task<string> PutAsync(string key, Stream content, CancellationToken cancellationToken)
    {
        BackupKeys.Check(key);
        await EnsureContainersAsync(cancellationToken);
        var upload = Guid.NewGuid().ToString("N")[..16];
        var written = new List<string>();
        try
        {
            // Not from the pool: a segment's body can still be copying into it, in the background, after an early error answer.
            var reader = new SourceReader(content, new byte[CopyBufferSize]);
            var segments = new List<SloSegment>();
            while (!await reader.AtEndAsync(cancellationToken))
            {
                if (segments.Count == _options.MaxManifestSegments)
                {
                    throw new InvalidOperationException(
                        $"Swift put of {key}: the backup is larger than {_options.MaxManifestSegments} segments of {_options.SegmentSizeBytes} bytes; raise SegmentSizeBytes.");
                }

                var name = $"{key}.{upload}/{segments.Count + 1:D6}";
                written.Add(name);
                segments.Add(await PutSegmentAsync(name, reader, cancellationToken));
            }

            var session = await _client.SessionAsync(cancellationToken);
            if (segments.Count == 0)
            {
                // An SLO needs at least one segment: an empty backup is a plain empty object.
                using var empty = await _client.SendAsync("put", s => new HttpRequestMessage(HttpMethod.Put, s.Url(_options.Container, key))
                {
                    Content = new ByteArrayContent([]),
                }, cancellationToken);
                await SwiftClient.EnsureSuccessAsync("put", empty);
            }
            else
            {
                var manifest = JsonSerializer.SerializeToUtf8Bytes(segments, SwiftJson.Default.ListSloSegment);
                using var response = await _client.SendAsync("manifest put", s =>
                {
                    var body = new ByteArrayContent(manifest);
                    body.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                    return new HttpRequestMessage(HttpMethod.Put, s.Url(_options.Container, key, "multipart-manifest=put")) { Content = body };
                }, cancellationToken);
                await SwiftClient.EnsureSuccessAsync("manifest put", response);
            }

            written.Clear();
            await DeleteSegmentsAsync(key, keepUpload: upload, CancellationToken.None, throwOnFailure: false);
            return session.Url(_options.Container, key).AbsoluteUri;
        }
        finally
        {
            if (written.Count > 0)
            {
                await DeleteWrittenSegmentsAsync(key, written);
            }
        }
    }

    public async Task<Stream> OpenReadAsync(string key, CancellationToken cancellationToken)
    {
        BackupKeys.Check(key);
        var response = await _client.SendAsync("get", s => new HttpRequestMessage(HttpMethod.Get, s.Url(_options.Container, key)),
            cancellationToken, HttpCompletionOption.ResponseHeadersRead);
        try
        {
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                throw new FileNotFoundException($"No backup is stored under '{key}' in Swift container '{_options.Container}'.");
            }

            await SwiftClient.EnsureSuccessAsync("get", response);
            return new OwnedResponseStream(await response.Content.ReadAsStreamAsync(cancellationToken), response);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    public async Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        BackupKeys.Check(key);
        using (var response = await _client.SendAsync("delete", s =>
               {
                   var request = new HttpRequestMessage(HttpMethod.Delete, s.Url(_options.Container, key, "multipart-manifest=delete"));
                   request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
                   return request;
               }, cancellationToken))
        {
            if (response.StatusCode != HttpStatusCode.NotFound)
            {
                await SwiftClient.EnsureSuccessAsync("delete", response);
                var result = await ReadDeleteResultAsync(response, cancellationToken);
                if (result?.Errors?.Any(e => e.Length > 1 && e[1].Contains("Not an SLO manifest", StringComparison.OrdinalIgnoreCase)) == true)
                {
                    await _client.DeleteAsync("delete", _options.Container, key, cancellationToken);
                }
                else if (result?.ResponseStatus is { } status && !status.StartsWith('2') && !status.StartsWith("404", StringComparison.Ordinal))
                {
                    throw new InvalidOperationException(
                        $"{SwiftClient.Describe("delete", response)} failed: {status}"
                        + (result.Errors is { Length: > 0 } errors ? $" ({string.Join("; ", errors.Select(e => string.Join(": ", e)))})" : "") + ".");
                }
            }
        }

        // Segments an interrupted put or delete left, and those of a manifest someone removed without them.
        await DeleteSegmentsAsync(key, keepUpload: null, cancellationToken, throwOnFailure: true);
    }

    public async Task<long?> GetSizeAsync(string key, CancellationToken cancellationToken)
    {
        BackupKeys.Check(key);
        using var response = await _client.SendAsync("head", s => new HttpRequestMessage(HttpMethod.Head, s.Url(_options.Container, key)), cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        await SwiftClient.EnsureSuccessAsync("head", response);
        return response.Content.Headers.ContentLength
            ?? throw new InvalidOperationException($"{SwiftClient.Describe("head", response)} answered without Content-Length.");
    }

    public void Dispose()
    {
        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }

    private async Task<SloSegment> PutSegmentAsync(string name, SourceReader reader, CancellationToken cancellationToken)
    {
        using var content = new SegmentContent(reader, _options.SegmentSizeBytes);
        using var response = await _client.SendAsync("segment put", s =>
        {
            var request = new HttpRequestMessage(HttpMethod.Put, s.Url(_options.SegmentContainerName, name)) { Content = content };
            request.Headers.TransferEncodingChunked = true;
            // Swift checks the token before reading a body: on a 401 nothing of the source is consumed, and the PUT can be repeated.
            request.Headers.ExpectContinue = true;
            return request;
        }, cancellationToken, HttpCompletionOption.ResponseContentRead, content);
        await SwiftClient.EnsureSuccessAsync("segment put", response);
        var etag = response.Headers.ETag?.Tag.Trim('"')
            ?? (response.Headers.TryGetValues("Etag", out var values) ? values.First().Trim('"') : null);
        if (!string.Equals(etag, content.Md5Hex, StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException(
                $"{SwiftClient.Describe("segment put", response)}: Swift stored MD5 {etag}, but {content.Md5Hex} was sent.");
        }

        return new SloSegment($"/{_options.SegmentContainerName}/{name}", content.Md5Hex!, content.Length);
    }

    private async Task EnsureContainersAsync(CancellationToken cancellationToken)
    {
        if (_containersExist)
        {
            return;
        }

        foreach (var container in new[] { _options.Container, _options.SegmentContainerName })
        {
            using var response = await _client.SendAsync("container put", s => new HttpRequestMessage(HttpMethod.Put, s.Url(container)), cancellationToken);
            await SwiftClient.EnsureSuccessAsync("container put", response);
        }

        _containersExist = true;
    }

    /// <summary>Removes the segments of <paramref name="key"/>, except those of the upload <paramref name="keepUpload"/>.</summary>
    private async Task DeleteSegmentsAsync(string key, string? keepUpload, CancellationToken cancellationToken, bool throwOnFailure)
    {
        try
        {
            var names = await _client.ListAsync(_options.SegmentContainerName, key + ".", cancellationToken);
            foreach (var name in names.Where(n => keepUpload is null || !n.StartsWith($"{key}.{keepUpload}/", StringComparison.Ordinal)))
            {
                await _client.DeleteAsync("segment delete", _options.SegmentContainerName, name, cancellationToken);
            }
        }
        catch (Exception e) when (!throwOnFailure && e is not OperationCanceledException)
        {
            LogSegmentCleanupFailed(key, e.Message);
        }
    }

    private async Task DeleteWrittenSegmentsAsync(string key, List<string> names)
    {
        // The put failed or was cancelled: its segments go regardless of the caller's token, within a limit of their own.
        using var timeout = new CancellationTokenSource(CleanupTimeout);
        try
        {
            foreach (var name in names)
            {
                await _client.DeleteAsync("segment delete", _options.SegmentContainerName, name, timeout.Token);
            }
        }
        catch (Exception e)
        {
            LogSegmentCleanupFailed(key, e.Message);
        }
    }

    private static async Task<SloDeleteResult?> ReadDeleteResultAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            return await response.Content.ReadFromJsonAsync(SwiftJson.Default.SloDeleteResult, cancellationToken);
        }
        catch (Exception e) when (e is JsonException or NotSupportedException)
        {
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Swift: segments of {Key} could not all be removed ({Error}); the next delete of the key removes them")]
    private partial void LogSegmentCleanupFailed(string key, string error);
}

using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;

namespace Hoard.Providers.ObjectStorage.Swift;

/// <summary>
/// Authenticated requests to Swift: the session's token added, a 401 answered by authenticating again and repeating the
/// request once, time limits for requests without backup data, and failures as messages with the operation, the URL's
/// path and the status (never a token or key).
/// </summary>
internal sealed partial class SwiftClient(SwiftOptions options, HttpClient http, SwiftAuthenticator auth, ILogger logger)
{
    public Task<SwiftSession> SessionAsync(CancellationToken cancellationToken) => auth.GetAsync(null, cancellationToken);

    /// <summary>
    /// Sends a request built for the current session; on 401 authenticates again and repeats it once, unless
    /// <paramref name="body"/> already consumed part of its source. Requests without a streamed body are limited to
    /// <see cref="SwiftOptions.RequestTimeoutSeconds"/> (until the answer's headers, for <see cref="HttpCompletionOption.ResponseHeadersRead"/>).
    /// </summary>
    public async Task<HttpResponseMessage> SendAsync(
        string operation, Func<SwiftSession, HttpRequestMessage> build, CancellationToken cancellationToken,
        HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead, SegmentContent? body = null)
    {
        var session = await auth.GetAsync(null, cancellationToken);
        var response = await SendRetryingUnavailableAsync(operation, build, session, completion, body, cancellationToken);
        if (response.StatusCode != HttpStatusCode.Unauthorized || body?.Started == true)
        {
            return response;
        }

        response.Dispose();
        LogTokenRejected(operation);
        session = await auth.GetAsync(session, cancellationToken);
        return await SendRetryingUnavailableAsync(operation, build, session, completion, body, cancellationToken);
    }

    /// <summary>
    /// A 503 (a busy or still starting storage server: the proxy gave up before reading any body) is tried again after
    /// 0.5, 1 and 2 s, as python-swiftclient does, as long as no byte of a streamed body was consumed.
    /// </summary>
    private async Task<HttpResponseMessage> SendRetryingUnavailableAsync(string operation, Func<SwiftSession, HttpRequestMessage> build,
        SwiftSession session, HttpCompletionOption completion, SegmentContent? body, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var response = await SendOnceAsync(operation, build(session), session, completion, body, cancellationToken);
            if (response.StatusCode != HttpStatusCode.ServiceUnavailable || body?.Started == true || attempt == 3)
            {
                return response;
            }

            response.Dispose();
            await Task.Delay(TimeSpan.FromMilliseconds(500 << attempt), cancellationToken);
        }
    }

    /// <summary>The names of the objects in a container whose names start with <paramref name="prefix"/>, in order; none when there is no container.</summary>
    public async Task<List<string>> ListAsync(string container, string prefix, CancellationToken cancellationToken)
    {
        var names = new List<string>();
        var marker = "";
        while (true)
        {
            var query = $"format=json&limit=1000&prefix={Uri.EscapeDataString(prefix)}&marker={Uri.EscapeDataString(marker)}";
            using var response = await SendAsync("list", s => new HttpRequestMessage(HttpMethod.Get, s.Url(container, null, query)), cancellationToken);
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                return names;
            }

            await EnsureSuccessAsync("list", response);
            var page = await response.Content.ReadFromJsonAsync(SwiftJson.Default.SwiftListedObjectArray, cancellationToken) ?? [];
            names.AddRange(page.Select(o => o.Name));
            if (page.Length == 0)
            {
                return names;
            }

            marker = page[^1].Name;
        }
    }

    /// <summary>Deletes one object; succeeds when it is not there.</summary>
    public async Task DeleteAsync(string operation, string container, string name, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(operation, s => new HttpRequestMessage(HttpMethod.Delete, s.Url(container, name)), cancellationToken);
        if (response.StatusCode != HttpStatusCode.NotFound)
        {
            await EnsureSuccessAsync(operation, response);
        }
    }

    /// <exception cref="InvalidOperationException">The answer is not a success: operation, path, status and Swift's short explanation.</exception>
    public static async Task EnsureSuccessAsync(string operation, HttpResponseMessage response)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var detail = "";
        if (response.Content.Headers.ContentLength is > 0 and < 4096)
        {
            var text = TagsOrSpace().Replace(Encoding.UTF8.GetString(await response.Content.ReadAsByteArrayAsync()), " ").Trim();
            detail = text.Length == 0 ? "" : ": " + text[..Math.Min(text.Length, 300)];
        }

        throw new InvalidOperationException($"{Describe(operation, response)} failed: {(int)response.StatusCode} {response.ReasonPhrase}{detail}");
    }

    public static string Describe(string operation, HttpResponseMessage response) =>
        $"Swift {operation} {response.RequestMessage?.RequestUri?.AbsolutePath}";

    private async Task<HttpResponseMessage> SendOnceAsync(
        string operation, HttpRequestMessage request, SwiftSession session, HttpCompletionOption completion, SegmentContent? body,
        CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (body is null)
        {
            timeout.CancelAfter(TimeSpan.FromSeconds(options.RequestTimeoutSeconds));
        }

        try
        {
            request.Headers.TryAddWithoutValidation("X-Auth-Token", session.Token);
            return await http.SendAsync(request, completion, timeout.Token);
        }
        catch (Exception) when (body?.Reader.SourceFailure is { } failure)
        {
            // The source broke, not Swift: the caller should see the source's own error.
            failure.Throw();
            throw;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"Swift {operation} {request.RequestUri?.AbsolutePath} did not answer within {options.RequestTimeoutSeconds} s.");
        }
        catch (HttpRequestException e)
        {
            throw new InvalidOperationException($"Swift {operation} {request.RequestUri?.AbsolutePath} failed: {e.Message}", e);
        }
        finally
        {
            // A segment's request is built again around the same content if it has to be repeated: that content is its caller's.
            if (body is null)
            {
                request.Dispose();
            }
        }
    }

    [GeneratedRegex(@"(<[^>]*>|\s)+")]
    private static partial Regex TagsOrSpace();

    [LoggerMessage(Level = LogLevel.Information, Message = "Swift rejected the token during {Operation}; authenticating again")]
    private partial void LogTokenRejected(string operation);
}

using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Hoard.Providers.ObjectStorage.Swift;

/// <summary>
/// Gets and caches a token and storage URL: from tempauth (v1: <c>GET</c> with <c>X-Auth-User</c>/<c>X-Auth-Key</c>) or
/// Keystone v3 (password, project-scoped, the catalog's <c>object-store</c> endpoint). A token is renewed shortly before
/// it expires, or when Swift rejects it.
/// </summary>
internal sealed class SwiftAuthenticator(SwiftOptions options, HttpClient http, TimeProvider time)
{
    private static readonly TimeSpan RenewBeforeExpiry = TimeSpan.FromMinutes(2);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private SwiftSession? _session;

    /// <summary>
    /// The cached session, or a new one when there is none, it is about to expire, or it is <paramref name="rejected"/>
    /// (a session Swift answered 401 to; a session renewed meanwhile by another caller is reused).
    /// </summary>
    public async Task<SwiftSession> GetAsync(SwiftSession? rejected, CancellationToken cancellationToken)
    {
        if (Usable(_session, rejected) is { } cached)
        {
            return cached;
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (Usable(_session, rejected) is { } renewed)
            {
                return renewed;
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(options.RequestTimeoutSeconds));
            try
            {
                _session = options.IsKeystone ? await KeystoneAsync(timeout.Token) : await TempAuthAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"Swift authentication at {Describe(options.TrimmedAuthUrl)} did not answer within {options.RequestTimeoutSeconds} s.");
            }

            return _session;
        }
        finally
        {
            _gate.Release();
        }
    }

    private SwiftSession? Usable(SwiftSession? session, SwiftSession? rejected) =>
        session is not null && !ReferenceEquals(session, rejected)
        && (session.ExpiresAt is null || session.ExpiresAt.Value - RenewBeforeExpiry > time.GetUtcNow())
            ? session
            : null;

    private async Task<SwiftSession> TempAuthAsync(CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, options.TrimmedAuthUrl);
        request.Headers.TryAddWithoutValidation("X-Auth-User", options.Username);
        request.Headers.TryAddWithoutValidation("X-Auth-Key", options.Key);
        using var response = await SendAsync(request, cancellationToken);
        var token = Header(response, "X-Auth-Token") ?? Header(response, "X-Storage-Token");
        var storageUrl = Header(response, "X-Storage-Url");
        if (token is null || storageUrl is null)
        {
            throw new InvalidOperationException($"Swift authentication at {Describe(options.TrimmedAuthUrl)} answered without X-Auth-Token or X-Storage-Url.");
        }

        DateTimeOffset? expires = long.TryParse(Header(response, "X-Auth-Token-Expires"), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            ? time.GetUtcNow().AddSeconds(seconds)
            : null;
        return new SwiftSession(token, storageUrl, expires);
    }

    private async Task<SwiftSession> KeystoneAsync(CancellationToken cancellationToken)
    {
        var project = string.IsNullOrWhiteSpace(options.ProjectId)
            ? new KeystoneProject(null, options.ProjectName, new KeystoneDomain(options.ProjectDomainName))
            : new KeystoneProject(options.ProjectId, null, null);
        var body = new KeystoneAuthRequest(new KeystoneAuth(
            new KeystoneIdentity(["password"], new KeystonePassword(new KeystoneUser(options.Username, options.Key, new KeystoneDomain(options.UserDomainName)))),
            new KeystoneScope(project)));
        var url = options.TrimmedAuthUrl + "/auth/tokens";
        using var request = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = JsonContent.Create(body, SwiftJson.Default.KeystoneAuthRequest),
        };
        using var response = await SendAsync(request, cancellationToken);
        var token = Header(response, "X-Subject-Token")
            ?? throw new InvalidOperationException($"Keystone at {Describe(url)} answered without X-Subject-Token.");
        KeystoneTokenResponse? answer;
        try
        {
            answer = await response.Content.ReadFromJsonAsync(SwiftJson.Default.KeystoneTokenResponse, cancellationToken);
        }
        catch (JsonException e)
        {
            throw new InvalidOperationException($"Keystone at {Describe(url)} answered with a token that is not valid JSON.", e);
        }

        var endpoints = (answer?.Token?.Catalog ?? [])
            .Where(s => s.Type == "object-store")
            .SelectMany(s => s.Endpoints ?? [])
            .Where(e => string.Equals(e.Interface, options.Interface, StringComparison.OrdinalIgnoreCase))
            .Where(e => string.IsNullOrEmpty(options.Region) || e.RegionId == options.Region || e.Region == options.Region)
            .ToList();
        var endpoint = endpoints.FirstOrDefault(e => !string.IsNullOrEmpty(e.Url))
            ?? throw new InvalidOperationException(
                $"Keystone's catalog has no object-store endpoint with interface '{options.Interface}'"
                + (string.IsNullOrEmpty(options.Region) ? "." : $" in region '{options.Region}'."));
        return new SwiftSession(token, endpoint.Url!, answer?.Token?.ExpiresAt);
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new InvalidOperationException($"Swift authentication at {Describe(request.RequestUri!.ToString())} failed: {e.Message}", e);
        }

        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            var hint = response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden ? " (check the user, key and project)" : "";
            throw new InvalidOperationException(
                $"Swift authentication at {Describe(request.RequestUri!.ToString())} failed: {(int)response.StatusCode} {response.ReasonPhrase}{hint}.");
        }
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault(v => v.Length > 0) : null;

    /// <summary>A URL without its user info or query, fit for a message.</summary>
    internal static string Describe(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) ? $"{uri.Scheme}://{uri.Authority}{uri.AbsolutePath}" : "(invalid URL)";
}

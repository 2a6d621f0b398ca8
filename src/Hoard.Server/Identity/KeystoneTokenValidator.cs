using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Hoard.Core.Identity;
using Hoard.Server.Hosting;
using Microsoft.Extensions.Options;

namespace Hoard.Server.Identity;

/// <summary>
/// Validates tokens against an external Keystone (<c>GET /v3/auth/tokens</c> with hoard-server's service token and the
/// caller's as <c>X-Subject-Token</c>), as keystonemiddleware does for Trove. A valid answer is kept for
/// <see cref="KeystoneSettings.CacheSeconds"/> (never past the token's expiry), keyed by the token's SHA-256, so a revoked
/// token works at most that long; refusals are not kept, so a new token works at once.
/// </summary>
internal sealed class KeystoneTokenValidator : ITokenValidator, IDisposable
{
    private const int PruneAbove = 10_000;
    private readonly HttpClient _http = new() { Timeout = Timeout.InfiniteTimeSpan };
    private readonly ConcurrentDictionary<string, (TokenInfo Info, DateTimeOffset Until)> _cache = new(StringComparer.Ordinal);
    private readonly KeystoneSettings _settings;
    private readonly KeystoneServiceToken _service;
    private readonly TimeProvider _time;

    public KeystoneTokenValidator(IOptions<HoardOptions> options, TimeProvider time, ILogger<KeystoneTokenValidator> logger)
    {
        _settings = options.Value.Keystone;
        _time = time;
        _service = new KeystoneServiceToken(_http, _settings, time, logger);
    }

    /// <summary>Logs the service user in now, so that a wrong setting shows in the log at start-up, not at the first request.</summary>
    public Task CheckAsync(CancellationToken cancellationToken) => _service.GetAsync(cancellationToken);

    public async Task<TokenInfo?> ValidateAsync(string token, CancellationToken cancellationToken)
    {
        if (token.Length is 0 or > 8192)
        {
            return null;
        }

        var key = Secrets.Sha256(token);
        var now = _time.GetUtcNow();
        if (_cache.TryGetValue(key, out var cached) && cached.Until > now)
        {
            return cached.Info;
        }

        var info = await AskAsync(token, retry: true, cancellationToken);
        if (info is null || info.ExpiresAt <= now)
        {
            _cache.TryRemove(key, out _);
            return null;
        }

        if (_cache.Count > PruneAbove)
        {
            foreach (var stale in _cache.Where(e => e.Value.Until <= now).Select(e => e.Key).ToList())
            {
                _cache.TryRemove(stale, out _);
            }
        }

        var until = now.AddSeconds(_settings.CacheSeconds);
        _cache[key] = (info, until < info.ExpiresAt ? until : info.ExpiresAt);
        return info;
    }

    private async Task<TokenInfo?> AskAsync(string token, bool retry, CancellationToken cancellationToken)
    {
        var service = await _service.GetAsync(cancellationToken);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{_settings.BaseUrl}/v3/auth/tokens?nocatalog");
        request.Headers.Add("X-Auth-Token", service);
        request.Headers.Add("X-Subject-Token", token);
        using var response = await KeystoneHttp.SendAsync(_http, request, _settings, cancellationToken);
        switch (response.StatusCode)
        {
            case HttpStatusCode.OK:
                return KeystoneTokenReader.Read(await JsonNode.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken),
                    cancellationToken: cancellationToken));
            case HttpStatusCode.NotFound:
                return null;
            case HttpStatusCode.Unauthorized when retry:
                // Keystone no longer accepts the service token: log in again once.
                _service.Invalidate(service);
                return await AskAsync(token, retry: false, cancellationToken);
            case HttpStatusCode.Forbidden:
                throw new IdentityUnavailableException(
                    $"Keystone at {_settings.BaseUrl} does not let hoard-server's service user '{_settings.ServiceUserName}' validate tokens " +
                    "(HTTP 403): give it the service or admin role on its project.");
            default:
                throw new IdentityUnavailableException(
                    $"Keystone at {_settings.BaseUrl} answered a token validation with HTTP {(int)response.StatusCode}.");
        }
    }

    public void Dispose() => _http.Dispose();
}

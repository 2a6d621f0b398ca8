using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Hoard.Server.Identity;

/// <summary>
/// hoard-server's own token from the external Keystone, as its service user: fetched on first use, renewed before it
/// expires, and fetched again when Keystone stops accepting it. A refusal is remembered for a few seconds, so that a wrong
/// password is answered with the same readable 503 on every request rather than a login attempt per request.
/// </summary>
internal sealed partial class KeystoneServiceToken(HttpClient http, KeystoneSettings settings, TimeProvider time, ILogger logger)
{
    private static readonly TimeSpan RetryAfterFailure = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan MaxRenewBefore = TimeSpan.FromMinutes(5);
    private readonly SemaphoreSlim _lock = new(1, 1);
    // A reference, so that a request reading it without the lock never sees half of a renewal.
    private volatile ServiceToken? _current;
    private (string Message, DateTimeOffset Until)? _failure;

    public async Task<string> GetAsync(CancellationToken cancellationToken)
    {
        if (_current is { } current && current.RenewAt > time.GetUtcNow())
        {
            return current.Token;
        }

        await _lock.WaitAsync(cancellationToken);
        try
        {
            var now = time.GetUtcNow();
            if (_current is { } fresh && fresh.RenewAt > now)
            {
                return fresh.Token;
            }

            if (_failure is { } failure && failure.Until > now)
            {
                throw new IdentityUnavailableException(failure.Message);
            }

            try
            {
                var (token, expires) = await LoginAsync(cancellationToken);
                var lifetime = expires - now;
                var renewBefore = lifetime / 2 < MaxRenewBefore ? lifetime / 2 : MaxRenewBefore;
                _current = new ServiceToken(token, expires - renewBefore);
                _failure = null;
                LogServiceToken(logger, settings.ServiceUserName, expires);
                return token;
            }
            catch (IdentityUnavailableException e)
            {
                _current = null;
                _failure = (e.Message, time.GetUtcNow() + RetryAfterFailure);
                LogServiceTokenRefused(logger, e.Message);
                throw;
            }
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Keystone no longer accepts the current token (revoked, or Keystone restarted with new keys).</summary>
    public void Invalidate(string token)
    {
        if (_current?.Token == token)
        {
            _current = null;
        }
    }

    private async Task<(string Token, DateTimeOffset Expires)> LoginAsync(CancellationToken cancellationToken)
    {
        var body = new JsonObject
        {
            ["auth"] = new JsonObject
            {
                ["identity"] = new JsonObject
                {
                    ["methods"] = new JsonArray("password"),
                    ["password"] = new JsonObject
                    {
                        ["user"] = new JsonObject
                        {
                            ["name"] = settings.ServiceUserName, ["domain"] = new JsonObject { ["name"] = settings.ServiceUserDomainName },
                            ["password"] = settings.ServicePassword ?? "",
                        },
                    },
                },
                ["scope"] = new JsonObject
                {
                    ["project"] = new JsonObject
                    {
                        ["name"] = settings.ServiceProjectName, ["domain"] = new JsonObject { ["name"] = settings.ServiceProjectDomainName },
                    },
                },
            },
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{settings.BaseUrl}/v3/auth/tokens?nocatalog")
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        using var response = await KeystoneHttp.SendAsync(http, request, settings, cancellationToken);
        if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden or HttpStatusCode.NotFound)
        {
            throw new IdentityUnavailableException(
                $"Keystone at {settings.BaseUrl} refused hoard-server's service user '{settings.ServiceUserName}' " +
                $"(HTTP {(int)response.StatusCode}): check Hoard:Keystone:ServiceUserName, ServicePassword and ServiceProjectName.");
        }

        if (response.StatusCode != HttpStatusCode.Created || !response.Headers.TryGetValues("X-Subject-Token", out var tokens))
        {
            throw new IdentityUnavailableException(
                $"Keystone at {settings.BaseUrl} answered hoard-server's service login with HTTP {(int)response.StatusCode}.");
        }

        var token = (await JsonNode.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken))?["token"];
        var expires = DateTimeOffset.TryParse(token?["expires_at"]?.ToString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var e)
            ? e
            : time.GetUtcNow().AddHours(1);
        return (tokens.First(), expires);
    }

    private sealed record ServiceToken(string Token, DateTimeOffset RenewAt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Keystone: service user '{User}' logged in; its token expires at {Expires:o}")]
    private static partial void LogServiceToken(ILogger logger, string user, DateTimeOffset expires);

    [LoggerMessage(Level = LogLevel.Error, Message = "Keystone: {Reason} Requests with tokens are answered 503 until this is fixed.")]
    private static partial void LogServiceTokenRefused(ILogger logger, string reason);
}

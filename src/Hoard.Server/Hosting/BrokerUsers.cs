using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hoard.Messaging.RabbitMq;

namespace Hoard.Server.Hosting;

/// <summary>
/// Makes and removes the broker users of guests (<c>hoard-guest-&lt;instance id&gt;</c>) and host agents
/// (<c>hoard-host-&lt;name&gt;</c>) through RabbitMQ's management HTTP API, each with the permissions of
/// <see cref="BrokerPermissions"/> on the server's vhost. Only a salted hash of a password goes to the broker. Disabled
/// (every method a no-op) without <see cref="RabbitMqSettings.ManagementUrl"/>, or on the embedded bus.
/// </summary>
internal sealed partial class BrokerUsers : IDisposable
{
    /// <summary>Each request to the management API gives up after this.</summary>
    internal static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);

    private readonly HttpClient? _http;
    private readonly string _vhost = "/";
    private readonly string _exchange;
    private readonly ILogger<BrokerUsers> _logger;

    public BrokerUsers(Uri? brokerUrl, RabbitMqSettings settings, string exchange, ILogger<BrokerUsers> logger)
    {
        _exchange = exchange;
        _logger = logger;
        if (brokerUrl is null || string.IsNullOrWhiteSpace(settings.ManagementUrl))
        {
            return;
        }

        if (!Uri.TryCreate(settings.ManagementUrl, UriKind.Absolute, out var management) || management.Scheme is not ("http" or "https"))
        {
            throw new InvalidOperationException("Hoard:RabbitMq:ManagementUrl is not an http:// or https:// URL.");
        }

        if (management.UserInfo.Length > 0)
        {
            throw new InvalidOperationException(
                "Hoard:RabbitMq:ManagementUrl carries credentials; set Hoard:RabbitMq:ManagementUser and ManagementPassword instead.");
        }

        var options = new RabbitMqOptions { Url = brokerUrl };
        var user = string.IsNullOrEmpty(settings.ManagementUser) ? options.User : settings.ManagementUser;
        var password = settings.ManagementPassword ?? (brokerUrl.UserInfo.Split(':', 2) is [_, var p] ? Uri.UnescapeDataString(p) : "guest");
        // amqp://host/ and amqp://host are the default vhost "/", amqp://host/name is "name" (as the client reads it).
        var path = brokerUrl.AbsolutePath.TrimStart('/');
        _vhost = path.Length == 0 ? "/" : Uri.UnescapeDataString(path);
        _http = new HttpClient { BaseAddress = new Uri(management, "api/"), Timeout = RequestTimeout };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + password)));
        ManagementUrl = management.GetLeftPart(UriPartial.Path);
    }

    /// <summary>Whether guests and hosts get broker users of their own (and senders are identified).</summary>
    public bool Enabled => _http is not null;

    /// <summary>The management API, for logs (it carries no credentials).</summary>
    public string? ManagementUrl { get; }

    /// <summary>The vhost the users get permissions on: the one of the server's broker URL.</summary>
    public string Vhost => _vhost;

    /// <summary>Creates the guest's user, or gives it this new password, and (re)sets its permissions.</summary>
    public Task PutGuestAsync(string instanceId, string password, CancellationToken cancellationToken) =>
        PutUserAsync(BrokerNames.GuestUser(instanceId), password, BrokerPermissions.ForGuest(instanceId, _exchange), cancellationToken);

    /// <summary>Creates the host agent's user, or gives it this new password, and (re)sets its permissions.</summary>
    public Task PutHostAsync(string hostName, string password, CancellationToken cancellationToken) =>
        PutUserAsync(BrokerNames.HostUser(hostName), password, BrokerPermissions.ForHost(hostName, _exchange), cancellationToken);

    /// <summary>Removes the guest's user (the broker closes its connections); nothing when there is none.</summary>
    public Task DeleteGuestAsync(string instanceId, CancellationToken cancellationToken) =>
        DeleteUserAsync(BrokerNames.GuestUser(instanceId), cancellationToken);

    public Task DeleteHostAsync(string hostName, CancellationToken cancellationToken) =>
        DeleteUserAsync(BrokerNames.HostUser(hostName), cancellationToken);

    /// <summary>
    /// Whether the management API answers with the configured administrator: null when it does, else why not (for a
    /// warning at start; a launch then fails with the same reason, and nothing falls back to the shared user).
    /// </summary>
    public async Task<string?> ProblemAsync(CancellationToken cancellationToken)
    {
        if (_http is null)
        {
            return null;
        }

        try
        {
            using var response = await _http.GetAsync("whoami", cancellationToken);
            await EnsureSuccessAsync(response, "authenticate its administrator", cancellationToken);
            var tags = JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken))?["tags"]?.ToJsonString() ?? "";
            return tags.Contains("administrator", StringComparison.Ordinal)
                ? null
                : $"the management user is not tagged administrator at {ManagementUrl}: it cannot make users";
        }
        catch (Exception e) when (e is HttpRequestException or InvalidOperationException or TaskCanceledException or JsonException
                                      && !cancellationToken.IsCancellationRequested)
        {
            return e.Message;
        }
    }

    /// <summary>The instances that have a guest user on the broker.</summary>
    public async Task<IReadOnlyList<string>> ListGuestInstancesAsync(CancellationToken cancellationToken)
    {
        if (_http is null)
        {
            return [];
        }

        using var response = await _http.GetAsync("users", cancellationToken);
        await EnsureSuccessAsync(response, "list the users", cancellationToken);
        var users = JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken))?.AsArray() ?? [];
        return [.. users.Select(u => u?["name"]?.GetValue<string>()).OfType<string>().Select(BrokerNames.InstanceOfGuestUser).OfType<string>()];
    }

    private async Task PutUserAsync(string user, string password, BrokerPermissions permissions, CancellationToken cancellationToken)
    {
        if (_http is null)
        {
            return;
        }

        var name = Uri.EscapeDataString(user);
        var vhost = Uri.EscapeDataString(_vhost);
        await SendAsync(HttpMethod.Put, $"users/{name}", new JsonObject
        {
            ["password_hash"] = RabbitMqPasswordHash.Of(password), ["hashing_algorithm"] = RabbitMqPasswordHash.Algorithm, ["tags"] = "",
        }, $"create broker user {user}", cancellationToken);
        await SendAsync(HttpMethod.Put, $"permissions/{vhost}/{name}", new JsonObject
        {
            ["configure"] = permissions.Configure, ["write"] = permissions.Write, ["read"] = permissions.Read,
        }, $"set the permissions of broker user {user}", cancellationToken);
        await SendAsync(HttpMethod.Put, $"topic-permissions/{vhost}/{name}", new JsonObject
        {
            ["exchange"] = permissions.Exchange, ["write"] = permissions.TopicWrite, ["read"] = permissions.TopicRead,
        }, $"set the topic permissions of broker user {user}", cancellationToken);
        LogPut(user);
    }

    private async Task DeleteUserAsync(string user, CancellationToken cancellationToken)
    {
        if (_http is null)
        {
            return;
        }

        using var response = await _http.DeleteAsync($"users/{Uri.EscapeDataString(user)}", cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return;
        }

        await EnsureSuccessAsync(response, $"delete broker user {user}", cancellationToken);
        LogDeleted(user);
    }

    private async Task SendAsync(HttpMethod method, string path, JsonObject body, string what, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path)
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        using var response = await _http!.SendAsync(request, cancellationToken);
        await EnsureSuccessAsync(response, what, cancellationToken);
    }

    private async Task EnsureSuccessAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        // The broker's own reason (it quotes no password: only hashes are sent), cut short.
        var reason = await response.Content.ReadAsStringAsync(cancellationToken);
        try
        {
            reason = JsonNode.Parse(reason)?["reason"]?.GetValue<string>() ?? reason;
        }
        catch (JsonException)
        {
        }

        throw new InvalidOperationException(
            $"The broker's management API at {ManagementUrl} could not {what}: {(int)response.StatusCode} {reason[..Math.Min(reason.Length, 200)]}");
    }

    public void Dispose() => _http?.Dispose();

    [LoggerMessage(Level = LogLevel.Information, Message = "Broker user {User} created or updated")]
    private partial void LogPut(string user);

    [LoggerMessage(Level = LogLevel.Information, Message = "Broker user {User} deleted")]
    private partial void LogDeleted(string user);
}

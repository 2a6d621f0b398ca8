using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

using Hoard.Bench.Provisioning;

namespace Hoard.Bench.Backup;

/// <summary>The Keystone v3 and Trove v1.0 calls this bench makes: instances (plain and restored) and backups.</summary>
internal sealed class TroveClient(HttpClient http, string endpoint, string token)
{
    /// <summary>POST /v3/auth/tokens (password, project-scoped); the database endpoint comes from the catalog.</summary>
    public static async Task<TroveClient> LogInAsync(HttpClient http, string baseUrl, string user, string password, string project,
        CancellationToken cancellationToken)
    {
        var (endpoint, token) = await KeystoneLogin.LogInAsync(http, baseUrl, user, password, project, cancellationToken);
        return new TroveClient(http, endpoint, token);
    }

    /// <summary>POST /instances with one database and one user of that name, or (with <paramref name="backupId"/>) restored from a backup.</summary>
    public async Task<string> CreateInstanceAsync(string name, BackupDatastore datastore, string flavor, int volumeGb, string? user, string? password,
        string? backupId, CancellationToken cancellationToken)
    {
        var instance = new JsonObject
        {
            ["name"] = name,
            ["flavorRef"] = flavor,
            ["volume"] = new JsonObject { ["size"] = volumeGb },
            ["datastore"] = new JsonObject { ["type"] = datastore.Type, ["version"] = datastore.Version },
        };
        if (user is not null)
        {
            instance["databases"] = new JsonArray(new JsonObject { ["name"] = user });
            instance["users"] = new JsonArray(new JsonObject
            {
                ["name"] = user, ["password"] = password, ["databases"] = new JsonArray(new JsonObject { ["name"] = user }),
            });
        }

        if (backupId is not null)
            instance["restorePoint"] = new JsonObject { ["backupRef"] = backupId };
        var created = await SendCheckedAsync(HttpMethod.Post, "/instances", new JsonObject { ["instance"] = instance }, cancellationToken);
        return (string?)created?["instance"]?["id"] ?? throw new InvalidDataException($"No instance id in {created?.ToJsonString()}");
    }

    /// <summary>GET /instances/{id}: the <c>instance</c> object, or null once it is gone (404).</summary>
    public Task<JsonObject?> GetInstanceAsync(string id, CancellationToken cancellationToken) => GetAsync($"/instances/{id}", "instance", cancellationToken);

    public Task DeleteInstanceAsync(string id, CancellationToken cancellationToken) => DeleteAsync($"/instances/{id}", cancellationToken);

    /// <summary>POST /backups: the new backup's id.</summary>
    public async Task<string> CreateBackupAsync(string name, string instanceId, CancellationToken cancellationToken)
    {
        var body = new JsonObject { ["backup"] = new JsonObject { ["name"] = name, ["instance"] = instanceId } };
        var created = await SendCheckedAsync(HttpMethod.Post, "/backups", body, cancellationToken);
        return (string?)created?["backup"]?["id"] ?? throw new InvalidDataException($"No backup id in {created?.ToJsonString()}");
    }

    public Task<JsonObject?> GetBackupAsync(string id, CancellationToken cancellationToken) => GetAsync($"/backups/{id}", "backup", cancellationToken);

    public Task DeleteBackupAsync(string id, CancellationToken cancellationToken) => DeleteAsync($"/backups/{id}", cancellationToken);

    private async Task<JsonObject?> GetAsync(string path, string member, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, path, null, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
            return null;
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"GET {path} answered {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)?[member]?.AsObject() ?? throw new InvalidDataException($"No {member} in {text}");
    }

    private async Task DeleteAsync(string path, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Delete, path, null, cancellationToken);
        if (!response.IsSuccessStatusCode && response.StatusCode != HttpStatusCode.NotFound)
            throw new InvalidOperationException($"DELETE {path} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
    }

    private async Task<JsonNode?> SendCheckedAsync(HttpMethod method, string path, JsonNode body, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(method, path, body, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"{method} {path} answered {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text);
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, JsonNode? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, endpoint + path) { Content = body is null ? null : Json(body) };
        request.Headers.Add("X-Auth-Token", token);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        return await http.SendAsync(request, cancellationToken);
    }

    private static StringContent Json(JsonNode body) => new(body.ToJsonString(), Encoding.UTF8, "application/json");
}

using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

using Hoard.Bench.Provisioning;

namespace Hoard.Bench.Failover;

/// <summary>The Keystone v3 and Trove v1.0 calls this bench makes: instances, replicas, and Hoard's replication events.</summary>
internal sealed class TroveClient(HttpClient http, string endpoint, string token)
{
    /// <summary>POST /v3/auth/tokens (password, project-scoped); the database endpoint comes from the catalog.</summary>
    public static async Task<TroveClient> LogInAsync(HttpClient http, string baseUrl, string user, string password, string project,
        CancellationToken cancellationToken)
    {
        var (endpoint, token) = await KeystoneLogin.LogInAsync(http, baseUrl, user, password, project, cancellationToken);
        return new TroveClient(http, endpoint, token);
    }

    /// <summary>POST /instances: m1.tiny, 1 GB, one user <c>bench</c>, and where the datastore has databases a database <c>bench</c> it may use.</summary>
    public async Task<string> CreateInstanceAsync(string name, FailoverDatastore datastore, string password, CancellationToken cancellationToken)
    {
        var user = new JsonObject { ["name"] = WriteTarget.AppUser, ["password"] = password };
        var instance = new JsonObject
        {
            ["name"] = name,
            ["flavorRef"] = "1",
            ["volume"] = new JsonObject { ["size"] = 1 },
            ["datastore"] = new JsonObject { ["type"] = datastore.Type, ["version"] = datastore.Version },
        };
        if (datastore.HasDatabases)
        {
            instance["databases"] = new JsonArray(new JsonObject { ["name"] = WriteTarget.AppUser });
            user["databases"] = new JsonArray(new JsonObject { ["name"] = WriteTarget.AppUser });
        }

        instance["users"] = new JsonArray(user);
        return await CreateAsync(instance, cancellationToken);
    }

    /// <summary>POST /instances with <c>replica_of</c>: everything else comes from the source.</summary>
    public Task<string> CreateReplicaAsync(string name, string sourceId, CancellationToken cancellationToken) =>
        CreateAsync(new JsonObject { ["name"] = name, ["replica_of"] = sourceId }, cancellationToken);

    /// <summary>GET /instances/{id}: the <c>instance</c> object, or null once it is gone (404).</summary>
    public Task<JsonObject?> GetInstanceAsync(string id, CancellationToken cancellationToken) => GetAsync($"/instances/{id}", "instance", cancellationToken);

    /// <summary>GET /instances/{id}/replication_events: the set's switchovers, ejects and failovers, newest first.</summary>
    public async Task<JsonArray> ListReplicationEventsAsync(string id, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, $"/instances/{id}/replication_events", null, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"GET /instances/{id}/replication_events answered {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)?["replication_events"]?.AsArray() ?? throw new InvalidDataException($"No replication_events in {text}");
    }

    /// <summary>PUT /instances/{id}/replication: the set becomes synchronous (or not).</summary>
    public async Task SetSynchronousAsync(string id, bool synchronous, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Put, $"/instances/{id}/replication",
            new JsonObject { ["replication"] = new JsonObject { ["synchronous"] = synchronous } }, cancellationToken);
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"PUT /instances/{id}/replication answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
    }

    public async Task DeleteInstanceAsync(string id, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Delete, $"/instances/{id}", null, cancellationToken);
        if (!response.IsSuccessStatusCode && response.StatusCode != HttpStatusCode.NotFound)
            throw new InvalidOperationException($"DELETE /instances/{id} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
    }

    private async Task<string> CreateAsync(JsonObject instance, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Post, "/instances", new JsonObject { ["instance"] = instance }, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"POST /instances answered {(int)response.StatusCode}: {text}");
        return (string?)JsonNode.Parse(text)?["instance"]?["id"] ?? throw new InvalidDataException($"No instance id in {text}");
    }

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

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, JsonNode? body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, endpoint + path) { Content = body is null ? null : Json(body) };
        request.Headers.Add("X-Auth-Token", token);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        return await http.SendAsync(request, cancellationToken);
    }

    private static StringContent Json(JsonNode body) => new(body.ToJsonString(), Encoding.UTF8, "application/json");
}

using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Hoard.Bench.Provisioning;

/// <summary>The few Keystone v3 and Trove v1.0 calls the bench makes, as a Trove client would make them.</summary>
internal sealed class TroveClient(HttpClient http, string endpoint, string token)
{
    public string Endpoint => endpoint;

    /// <summary>POST /v3/auth/tokens (password, project-scoped); the database endpoint comes from the catalog.</summary>
    public static async Task<TroveClient> LogInAsync(HttpClient http, string baseUrl, string user, string password, string project,
        CancellationToken cancellationToken)
    {
        var (endpoint, token) = await KeystoneLogin.LogInAsync(http, baseUrl, user, password, project, cancellationToken);
        return new TroveClient(http, endpoint, token);
    }

    /// <summary>
    /// POST /instances: m1.tiny, 1 GB, the datastore's version, and one user; where the datastore has databases, one
    /// database the user has access to.
    /// </summary>
    public async Task<string> CreateInstanceAsync(string name, DatastoreSpec datastore, string database, string user, string password,
        CancellationToken cancellationToken)
    {
        var userSpec = new JsonObject { ["name"] = user, ["password"] = password };
        var instance = new JsonObject
        {
            ["name"] = name,
            ["flavorRef"] = "1",
            ["volume"] = new JsonObject { ["size"] = 1 },
            ["datastore"] = new JsonObject { ["type"] = datastore.Type, ["version"] = datastore.Version },
        };
        if (datastore.HasDatabases)
        {
            instance["databases"] = new JsonArray(new JsonObject { ["name"] = database });
            userSpec["databases"] = new JsonArray(new JsonObject { ["name"] = database });
        }

        instance["users"] = new JsonArray(userSpec);
        var body = new JsonObject { ["instance"] = instance };
        using var response = await SendAsync(HttpMethod.Post, "/instances", body, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"POST /instances answered {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)?["instance"]?["id"]?.GetValue<string>() ?? throw new InvalidDataException($"No instance id in {text}");
    }

    /// <summary>GET /instances/{id}: the <c>instance</c> object, or null once it is gone (404).</summary>
    public async Task<JsonObject?> GetInstanceAsync(string id, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, $"/instances/{id}", null, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
            return null;
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"GET /instances/{id} answered {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)?["instance"]?.AsObject() ?? throw new InvalidDataException($"No instance in {text}");
    }

    public async Task<IReadOnlyList<string>> ListInstanceIdsAsync(CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, "/instances", null, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"GET /instances answered {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)?["instances"]?.AsArray().Select(i => (string)i!["id"]!).ToList()
               ?? throw new InvalidDataException($"No instances in {text}");
    }

    public async Task DeleteInstanceAsync(string id, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Delete, $"/instances/{id}", null, cancellationToken);
        if (!response.IsSuccessStatusCode && response.StatusCode != HttpStatusCode.NotFound)
            throw new InvalidOperationException($"DELETE /instances/{id} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
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

using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Hoard.Bench.Provisioning;

/// <summary>The benches' log-in, as a Trove client does it (linked as source into the other benches).</summary>
internal static class KeystoneLogin
{
    /// <summary>POST /v3/auth/tokens (password, project-scoped): the token, and the public database endpoint from the catalog.</summary>
    public static async Task<(string Endpoint, string Token)> LogInAsync(HttpClient http, string baseUrl, string user, string password, string project,
        CancellationToken cancellationToken)
    {
        var domain = new JsonObject { ["name"] = "Default" };
        var body = new JsonObject
        {
            ["auth"] = new JsonObject
            {
                ["identity"] = new JsonObject
                {
                    ["methods"] = new JsonArray("password"),
                    ["password"] = new JsonObject
                    {
                        ["user"] = new JsonObject { ["name"] = user, ["domain"] = domain.DeepClone(), ["password"] = password },
                    },
                },
                ["scope"] = new JsonObject { ["project"] = new JsonObject { ["name"] = project, ["domain"] = domain.DeepClone() } },
            },
        };
        using var content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = await http.PostAsync($"{baseUrl}/v3/auth/tokens", content, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (response.StatusCode != HttpStatusCode.Created)
            throw new InvalidOperationException($"POST /v3/auth/tokens answered {(int)response.StatusCode}: {text}");
        var token = response.Headers.GetValues("X-Subject-Token").Single();
        var catalog = JsonNode.Parse(text)?["token"]?["catalog"]?.AsArray() ?? throw new InvalidDataException("The token has no catalog.");
        var url = catalog.Where(s => (string?)s?["type"] == "database")
                      .SelectMany(s => s!["endpoints"]!.AsArray())
                      .FirstOrDefault(e => (string?)e?["interface"] == "public")?["url"]?.GetValue<string>()
                  ?? throw new InvalidDataException("The catalog has no public database endpoint.");
        return (url.TrimEnd('/'), token);
    }
}

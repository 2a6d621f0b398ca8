using System.Text.Json.Nodes;

namespace Hoard.Cli.Http;

/// <summary>The database service (Trove v1.0) of the session's project; paths are relative to <c>/v1.0/{project}</c>.</summary>
internal sealed class HoardClient(HttpClient http, Session session)
{
    public Session Session { get; } = session;

    public async Task<JsonNode?> GetAsync(string path, CancellationToken cancellationToken) =>
        (await SendAsync(HttpMethod.Get, path, null, cancellationToken)).Body;

    /// <summary>The resource, or null when the server says it does not exist.</summary>
    public async Task<JsonNode?> TryGetAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            return await GetAsync(path, cancellationToken);
        }
        catch (CliException e) when (e.ExitCode == ExitCodes.NotFound)
        {
            return null;
        }
    }

    public async Task<JsonNode?> PostAsync(string path, JsonNode? body, CancellationToken cancellationToken) =>
        (await SendAsync(HttpMethod.Post, path, body, cancellationToken)).Body;

    public async Task<JsonNode?> PutAsync(string path, JsonNode body, CancellationToken cancellationToken) =>
        (await SendAsync(HttpMethod.Put, path, body, cancellationToken)).Body;

    public async Task<JsonNode?> PatchAsync(string path, JsonNode body, CancellationToken cancellationToken) =>
        (await SendAsync(HttpMethod.Patch, path, body, cancellationToken)).Body;

    public async Task DeleteAsync(string path, CancellationToken cancellationToken) =>
        await SendAsync(HttpMethod.Delete, path, null, cancellationToken);

    private Task<JsonResponse> SendAsync(HttpMethod method, string path, JsonNode? body, CancellationToken cancellationToken) =>
        JsonHttp.SendAsync(http, method, new Uri(Session.DatabaseUrl + "/" + path.TrimStart('/')), Session.Token, body, cancellationToken);
}

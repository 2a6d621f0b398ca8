using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Hoard.Server.Dashboard.Session;
using Microsoft.AspNetCore.Components.Authorization;

namespace Hoard.Server.Dashboard.Api;

/// <summary>
/// The signed-in user's client of the Trove API: paths are relative to <c>/v1.0/{project_id}/</c>, the user's token goes
/// in <c>X-Auth-Token</c>, and a fault comes back as an <see cref="ApiError"/> carrying the API's message.
/// </summary>
internal sealed class HoardApi(IHttpClientFactory clients, LoopbackAddress loopback, AuthenticationStateProvider authentication)
{
    public const string HttpClientName = "hoard-api";

    public async Task<DashboardUser> UserAsync() =>
        DashboardUser.From((await authentication.GetAuthenticationStateAsync()).User)
        ?? throw new ApiError(401, "You are not signed in.");

    public async Task<T> GetAsync<T>(string path, JsonTypeInfo<T> type, CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(HttpMethod.Get, path, null, cancellationToken);
        return await response.Content.ReadFromJsonAsync(type, cancellationToken)
               ?? throw new ApiError((int)response.StatusCode, $"The API answered GET {path} with an empty body.");
    }

    /// <summary>As <see cref="GetAsync{T}"/>, but null when the API has no such resource (404).</summary>
    public async Task<T?> FindAsync<T>(string path, JsonTypeInfo<T> type, CancellationToken cancellationToken = default)
        where T : class
    {
        try
        {
            return await GetAsync(path, type, cancellationToken);
        }
        catch (ApiError e) when (e.Status == (int)HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task PostAsync(string path, JsonNode? body, CancellationToken cancellationToken = default) =>
        (await SendAsync(HttpMethod.Post, path, body, cancellationToken)).Dispose();

    /// <summary>A POST that answers with a view, such as an instance create.</summary>
    public async Task<T> PostAsync<T>(string path, JsonNode body, JsonTypeInfo<T> type, CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(HttpMethod.Post, path, body, cancellationToken);
        return await response.Content.ReadFromJsonAsync(type, cancellationToken)
               ?? throw new ApiError((int)response.StatusCode, $"The API answered POST {path} with an empty body.");
    }

    public async Task PutAsync(string path, JsonNode body, CancellationToken cancellationToken = default) =>
        (await SendAsync(HttpMethod.Put, path, body, cancellationToken)).Dispose();

    public async Task DeleteAsync(string path, CancellationToken cancellationToken = default) =>
        (await SendAsync(HttpMethod.Delete, path, null, cancellationToken)).Dispose();

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, JsonNode? body, CancellationToken cancellationToken)
    {
        var user = await UserAsync();
        using var request = new HttpRequestMessage(method, new Uri(loopback.Value, $"/v1.0/{user.ProjectId}/{path}"));
        request.Headers.Add("X-Auth-Token", user.Token);
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }

        HttpResponseMessage response;
        try
        {
            response = await clients.CreateClient(HttpClientName).SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new ApiError((int)HttpStatusCode.ServiceUnavailable, $"The API could not be reached: {e.Message}");
        }

        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            throw await ApiError.FromResponseAsync(response, cancellationToken);
        }
    }
}

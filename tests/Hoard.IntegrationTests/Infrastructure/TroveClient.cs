using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Hoard.IntegrationTests.Infrastructure;

/// <summary>Just enough of a Trove and Keystone client to drive hoard-server over HTTP as users do.</summary>
public sealed class TroveClient(HttpClient http)
{
    public string BaseUrl => http.BaseAddress!.ToString().TrimEnd('/');

    public async Task<ApiResponse> SendAsync(HttpMethod method, string path, string? token = null, string? body = null,
        IEnumerable<(string Name, string Value)>? headers = null)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (token is not null)
        {
            request.Headers.Add("X-Auth-Token", token);
        }

        foreach (var (name, value) in headers ?? [])
        {
            request.Headers.Add(name, value);
        }

        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        using var response = await http.SendAsync(request);
        return new ApiResponse(method.Method, path, (int)response.StatusCode, response.Headers, await response.Content.ReadAsStringAsync());
    }

    public Task<ApiResponse> RequestTokenAsync(string user, string password, string project) =>
        SendAsync(HttpMethod.Post, "/v3/auth/tokens", body: new JsonObject
        {
            ["auth"] = new JsonObject
            {
                ["identity"] = new JsonObject
                {
                    ["methods"] = new JsonArray("password"),
                    ["password"] = new JsonObject
                    {
                        ["user"] = new JsonObject { ["name"] = user, ["domain"] = new JsonObject { ["name"] = "Default" }, ["password"] = password },
                    },
                },
                ["scope"] = new JsonObject
                {
                    ["project"] = new JsonObject { ["name"] = project, ["domain"] = new JsonObject { ["name"] = "Default" } },
                },
            },
        }.ToJsonString());

    public async Task<TroveSession> LoginAsync(string user, string password, string project)
    {
        var response = await RequestTokenAsync(user, password, project);
        Assert.True(response.Status == 201, $"Login of {user} to project {project} failed: {response}");
        var token = response.Headers.TryGetValues("X-Subject-Token", out var values) ? values.Single() : null;
        Assert.False(string.IsNullOrEmpty(token), $"Login answered without X-Subject-Token: {response}");
        return new TroveSession(token, response.Object["token"]!["project"]!["id"]!.GetValue<string>(), user);
    }

    public Task<ApiResponse> GetAsync(TroveSession s, string relative) => SendAsync(HttpMethod.Get, ProjectPath(s, relative), s.Token);

    public Task<ApiResponse> PostAsync(TroveSession s, string relative, string? body) => SendAsync(HttpMethod.Post, ProjectPath(s, relative), s.Token, body);

    public Task<ApiResponse> PutAsync(TroveSession s, string relative, string body) => SendAsync(HttpMethod.Put, ProjectPath(s, relative), s.Token, body);

    public Task<ApiResponse> PatchAsync(TroveSession s, string relative, string body) => SendAsync(HttpMethod.Patch, ProjectPath(s, relative), s.Token, body);

    public Task<ApiResponse> DeleteAsync(TroveSession s, string relative) => SendAsync(HttpMethod.Delete, ProjectPath(s, relative), s.Token);

    public static string ProjectPath(TroveSession s, string relative) => $"/v1.0/{s.ProjectId}/{relative.TrimStart('/')}";

    /// <summary>Sends and requires the given status, with the whole response in the failure message.</summary>
    public static ApiResponse Expect(ApiResponse response, int status)
    {
        Assert.True(response.Status == status, $"Expected {status}, got {response}");
        return response;
    }

    public async Task<JsonObject> CreateInstanceAsync(TroveSession s, JsonObject body)
    {
        var response = Expect(await PostAsync(s, "instances", body.ToJsonString()), 200);
        return response.Object["instance"]!.AsObject();
    }

    public async Task<IReadOnlyList<JsonObject>> ListInstancesAsync(TroveSession s)
    {
        var response = Expect(await GetAsync(s, "instances?limit=1000"), 200);
        return [.. response.Object["instances"]!.AsArray().Select(i => i!.AsObject())];
    }

    /// <summary>Polls an instance until it is ACTIVE and HEALTHY; an ERROR ends the wait at once, with its fault.</summary>
    public async Task<JsonObject> WaitForActiveAsync(TroveSession s, string id, double seconds = 120)
    {
        JsonObject? last = null;
        await Poll.UntilAsync(async () =>
        {
            var response = await GetAsync(s, $"instances/{id}");
            Assert.True(response.Status == 200, $"Instance {id} could not be shown while waiting for ACTIVE: {response}");
            last = response.Object["instance"]!.AsObject();
            var status = last["status"]?.GetValue<string>();
            Assert.False(status == "ERROR", $"Instance {id} went to ERROR instead of ACTIVE: {last.ToJsonString()}");
            return status == "ACTIVE" && last["operating_status"]?.GetValue<string>() == "HEALTHY";
        }, $"Instance {id} did not become ACTIVE/HEALTHY", seconds, () => last?.ToJsonString() ?? "nothing");
        return last!;
    }

    /// <summary>Polls an instance until its status is <paramref name="status"/> with nothing in progress.</summary>
    public async Task<JsonObject> WaitForStatusAsync(TroveSession s, string id, string status, double seconds = 60)
    {
        if (status == "ACTIVE")
        {
            return await WaitForActiveAsync(s, id, seconds);
        }

        JsonObject? last = null;
        await Poll.UntilAsync(async () =>
        {
            var response = Expect(await GetAsync(s, $"instances/{id}"), 200);
            last = response.Object["instance"]!.AsObject();
            Assert.False(last["status"]?.GetValue<string>() == "ERROR", $"Instance {id} went to ERROR instead of {status}: {last.ToJsonString()}");
            return last["status"]?.GetValue<string>() == status;
        }, $"Instance {id} did not become {status}", seconds, () => last?.ToJsonString() ?? "nothing");
        return last!;
    }

    /// <summary>Polls until showing the instance answers 404.</summary>
    public async Task WaitUntilGoneAsync(TroveSession s, string id, double seconds = 60)
    {
        ApiResponse? last = null;
        await Poll.UntilAsync(async () =>
        {
            last = await GetAsync(s, $"instances/{id}");
            Assert.True(last.Status is 200 or 404, $"Unexpected answer while waiting for instance {id} to go: {last}");
            Assert.False(last.Status == 200 && last.Object["instance"]!["status"]!.GetValue<string>() == "ERROR",
                $"Instance {id} went to ERROR while being deleted: {last}");
            return last.Status == 404;
        }, $"Instance {id} was not gone (404)", seconds, () => last?.ToString() ?? "nothing");
    }

    public static JsonObject InstanceBody(string name, string? database = "shop", string? user = "app", string password = "App-Pass-1") =>
        new()
        {
            ["instance"] = new JsonObject
            {
                ["name"] = name,
                ["flavorRef"] = "1",
                ["volume"] = new JsonObject { ["size"] = 1 },
                ["datastore"] = new JsonObject { ["type"] = "mariadb", ["version"] = "10.11" },
                ["databases"] = database is null ? new JsonArray() : new JsonArray(new JsonObject { ["name"] = database }),
                ["users"] = user is null
                    ? new JsonArray()
                    : new JsonArray(new JsonObject
                    {
                        ["name"] = user, ["password"] = password,
                        ["databases"] = database is null ? new JsonArray() : new JsonArray(new JsonObject { ["name"] = database }),
                    }),
            },
        };
}

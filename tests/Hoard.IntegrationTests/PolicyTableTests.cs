using Hoard.IntegrationTests.Infrastructure;

namespace Hoard.IntegrationTests;

/// <summary>
/// Walks the table in <c>docs/policy.md</c>: every call, as every caller, is allowed (anything but 401/403) or refused
/// with the code the table gives. Calls that change something go to made-up ids, except a refused caller's, which go
/// to the shared instance so that a refusal cannot hide behind a 404.
/// </summary>
[Collection(HoardServerCollection.Name)]
[Trait("Category", "Integration")]
public sealed class PolicyTableTests(HoardServerFixture server)
{
    private static readonly string MadeUp = "f0f0f0f0-0000-4000-8000-" + Guid.NewGuid().ToString("N")[..12];

    [Fact]
    public void Table_ListsEveryCallOnce()
    {
        var rows = ReadTable();

        Assert.True(rows.Count > 80, $"docs/policy.md lists only {rows.Count} calls");
        var duplicates = rows.GroupBy(r => r.ToString()).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.True(duplicates.Count == 0, "listed twice: " + string.Join(", ", duplicates));
        var bad = rows.SelectMany(r => r.Cells.Values).Where(c => c is not ("yes" or "—") && !int.TryParse(c, out _)).ToList();
        Assert.True(bad.Count == 0, "cells that are neither yes, — nor a status code: " + string.Join(", ", bad));
    }

    [Fact]
    public async Task EveryCall_AsEveryCaller_IsAllowedOrRefusedAsTheTableSays()
    {
        var shared = await server.GetSharedInstanceAsync();
        var sessions = new Dictionary<string, TroveSession?>
        {
            ["Reader"] = server.Reader, ["Member"] = server.Other, ["Admin"] = server.Admin, ["Other project"] = server.Other,
            ["Anonymous"] = null,
        };
        // Without following redirects, so that the dashboard's redirect to its sign-in page is seen as such.
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri(server.BaseUrl) };
        var mismatches = new List<string>();
        foreach (var row in ReadTable())
        {
            foreach (var (caller, expected) in row.Cells.Where(c => c.Value != "—"))
            {
                var session = sessions[caller];
                var project = caller is "Other project" or "Anonymous" ? server.Admin.ProjectId : session!.ProjectId;
                var onShared = caller is "Reader" or "Admin" && (IsRead(row.Method) || expected != "yes");
                var path = Fill(row.Path, project, onShared ? shared.Id : MadeUp);
                var body = row.Body ?? (row.Method is "POST" or "PUT" or "PATCH" ? "{}" : null);
                var (status, text) = await SendAsync(http, new HttpMethod(row.Method), path, session?.Token, body);
                var ok = expected == "yes" ? status is not (401 or 403) : status == int.Parse(expected);
                if (!ok)
                {
                    mismatches.Add($"{row} as {caller}: table says {expected}, server answered {status} {text[..Math.Min(text.Length, 200)]}");
                }
            }
        }

        Assert.True(mismatches.Count == 0, $"{mismatches.Count} calls disagree with docs/policy.md:\n" + string.Join('\n', mismatches));
    }

    /// <summary>A body that is not JSON is sent as a form, as the dashboard's own posts are.</summary>
    private static async Task<(int Status, string Text)> SendAsync(HttpClient http, HttpMethod method, string path, string? token, string? body)
    {
        using var request = new HttpRequestMessage(method, path);
        if (token is not null)
        {
            request.Headers.Add("X-Auth-Token", token);
        }

        if (body is not null)
        {
            request.Content = body.StartsWith('{')
                ? new StringContent(body, System.Text.Encoding.UTF8, "application/json")
                : new FormUrlEncodedContent(body.Split('&').Select(p => p.Split('=', 2)).Select(p => KeyValuePair.Create(p[0], p[^1])));
        }

        using var response = await http.SendAsync(request);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static bool IsRead(string method) => method is "GET" or "HEAD";

    private static string Fill(string template, string project, string instanceId) => KeystoneIds(template)
        .Replace("{projectId}", project, StringComparison.Ordinal)
        .Replace("{targetProject}", project, StringComparison.Ordinal)
        .Replace("instances/{id}", "instances/" + instanceId, StringComparison.Ordinal)
        .Replace("instance_id={id}", "instance_id=" + instanceId, StringComparison.Ordinal)
        .Replace("{id}", MadeUp, StringComparison.Ordinal)
        .Replace("{backupId}", MadeUp, StringComparison.Ordinal)
        .Replace("{instanceId}", MadeUp, StringComparison.Ordinal)
        .Replace("{datastore}", "policy-none", StringComparison.Ordinal)
        .Replace("{version}", "policy-none", StringComparison.Ordinal)
        .Replace("{**name}", "policy-none/log.txt", StringComparison.Ordinal)
        .Replace("{name}", "policy-none", StringComparison.Ordinal)
        .Replace("{user}", "policy-none", StringComparison.Ordinal)
        .Replace("{database}", "policy-none", StringComparison.Ordinal);

    /// <summary>Keystone's admin paths name made-up projects, users and roles: an allowed delete must not hit the test's own.</summary>
    private static string KeystoneIds(string template) => !template.StartsWith("/v3/", StringComparison.Ordinal)
        ? template
        : template.Replace("{projectId}", MadeUp, StringComparison.Ordinal)
            .Replace("{userId}", MadeUp, StringComparison.Ordinal)
            .Replace("{roleId}", "member", StringComparison.Ordinal)
            .Replace("{domainId}", "default", StringComparison.Ordinal);

    private static IReadOnlyList<PolicyRow> ReadTable()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Hoard.slnx")))
        {
            dir = dir.Parent;
        }

        Assert.True(dir is not null, $"No Hoard.slnx above {AppContext.BaseDirectory}");
        return PolicyRow.Read(File.ReadAllText(Path.Combine(dir.FullName, "docs", "policy.md")));
    }
}

using Hoard.Server.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;

namespace Hoard.Core.Tests.Server.Apis;

/// <summary>
/// Every API route hoard-server maps has a row in <c>docs/policy.md</c>, whose rows the integration suite's
/// PolicyTableTests then call as every role. The dashboard's pages are left out: they are UI, behind its own sign-in.
/// </summary>
public sealed class PolicyTableCoverageTests
{
    [Fact]
    public async Task EveryMappedRoute_HasARowInThePolicyTable()
    {
        var dataDir = Directory.CreateTempSubdirectory("hoard-policy-").FullName;
        try
        {
            var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = "hoard-server" });
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Hoard:DataDir"] = dataDir });
            builder.AddHoard();
            await using var app = builder.Build();
            app.MapHoard();
            var mapped = ((IEndpointRouteBuilder)app).DataSources.SelectMany(d => d.Endpoints).OfType<RouteEndpoint>()
                .Where(e => !IsDashboardPage(e))
                .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? []).Select(m => $"{m} {Normalize(e.RoutePattern.RawText)}"))
                .ToHashSet();
            Assert.True(mapped.Count > 80, $"only {mapped.Count} API routes found: {string.Join(", ", mapped)}");
            var documented = DocumentedCalls();
            var missing = mapped.Where(m => !documented.Contains(m)).Order().ToList();
            Assert.True(missing.Count == 0, "mapped but not in docs/policy.md:\n" + string.Join('\n', missing));
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
        }
    }

    /// <summary>"METHOD /path" of every table row, without the query some rows add.</summary>
    private static HashSet<string> DocumentedCalls()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Hoard.slnx")))
        {
            dir = dir.Parent;
        }

        Assert.True(dir is not null, $"No Hoard.slnx above {AppContext.BaseDirectory}");
        return [.. File.ReadAllLines(Path.Combine(dir.FullName, "docs", "policy.md"))
            .Select(l => l.Trim().Trim('|').Split('|').Select(c => c.Trim().Trim('`')).ToArray())
            .Where(c => c.Length > 2 && c[0] is "GET" or "HEAD" or "POST" or "PUT" or "PATCH" or "DELETE")
            .Select(c => $"{c[0]} {Normalize(c[1].Split('?')[0])}")];
    }

    /// <summary>The dashboard's pages, its static files and Blazor's own routes are its UI, not API calls.</summary>
    private static bool IsDashboardPage(RouteEndpoint endpoint) =>
        endpoint.Metadata.Any(m => m.GetType().Name is "ComponentTypeMetadata" or "StaticAssetDescriptor")
        || endpoint.RoutePattern.RawText?.StartsWith("/_framework/", StringComparison.Ordinal) == true
        || endpoint.DisplayName?.Contains("Fallback", StringComparison.Ordinal) == true;

    private static string Normalize(string? template) => "/" + (template ?? "").Trim('/');
}

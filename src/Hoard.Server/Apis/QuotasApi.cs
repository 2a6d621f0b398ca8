using System.Text.Json;
using System.Text.Json.Nodes;
using Hoard.Persistence;
using Hoard.Server.Hosting;
using Hoard.Server.Identity;
using Hoard.Server.Trove;
using Microsoft.Extensions.Options;

namespace Hoard.Server.Apis;

/// <summary>
/// Trove's <c>/v1.0/{project_id}/mgmt/quotas/{project}</c>: a project's limits and usage, and their update; admin-only,
/// as all of Trove's management API.
/// </summary>
internal static class QuotasApi
{
    public static void MapQuotasApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1.0/{projectId}/mgmt/quotas");
        group.MapGet("/{targetProject}", ShowAsync);
        group.MapPut("/{targetProject}", UpdateAsync);
    }

    /// <summary>The operator's defaults, for projects no admin has set quotas for.</summary>
    internal static IReadOnlyDictionary<string, int> Defaults(HoardOptions options) => new Dictionary<string, int>
    {
        [QuotaStore.Instances] = options.DefaultInstanceQuota,
        [QuotaStore.Ram] = options.DefaultRamQuotaMb,
        [QuotaStore.Volumes] = options.DefaultVolumeQuotaGb,
        [QuotaStore.Backups] = options.DefaultBackupQuota,
    };

    /// <summary>Trove's QuotaExceeded: every resource over its limit, as a Python list.</summary>
    internal static TroveFault Exceeded(IEnumerable<string> resources) =>
        TroveFault.OverLimit($"Quota exceeded for resources: {PythonList(resources)}.");

    /// <summary>
    /// The limits of a <c>{"quotas":{"instances":10,…}}</c> body: unknown resources are 404 (Trove's
    /// QuotaResourceUnknown), limits must be integers ≥ -1; a null limit is skipped, as Trove does.
    /// </summary>
    internal static IReadOnlyDictionary<string, int> ParseLimits(JsonObject body)
    {
        var quotas = Body.Wrapper(body, "quotas");
        var unknown = quotas.Select(kv => kv.Key).Where(k => !QuotaStore.Resources.Contains(k)).ToList();
        if (unknown.Count > 0)
        {
            throw TroveFault.NotFound($"Unknown quota resources {PythonList(unknown)}.");
        }

        var limits = new Dictionary<string, int>();
        foreach (var (resource, node) in quotas)
        {
            if (node is null)
            {
                continue;
            }

            limits[resource] = node.GetValueKind() == JsonValueKind.Number && node.AsValue().TryGetValue<int>(out var limit) && limit >= QuotaStore.Unlimited
                ? limit
                : throw TroveFault.Validation($"quotas.{resource} must be an integer of at least -1 (-1 is unlimited).");
        }

        return limits;
    }

    private static async Task<IResult> ShowAsync(HttpContext http, string targetProject, QuotaStore quotas, IdentityStore identity,
        IOptions<HoardOptions> options, CancellationToken cancellationToken)
    {
        // Trove's /mgmt is admin-only, one's own project's quotas included.
        if (!http.Token().IsAdmin)
        {
            throw NotAdmin();
        }

        await RequireProjectAsync(identity, options.Value, targetProject, cancellationToken);
        var limits = await quotas.GetLimitsAsync(targetProject, Defaults(options.Value), cancellationToken);
        var usage = await quotas.GetUsageAsync(targetProject, cancellationToken);
        return Reply.Json(new JsonObject
        {
            ["quotas"] = new JsonArray([.. QuotaStore.Resources.Select(r => (JsonNode)new JsonObject
            {
                ["resource"] = r, ["in_use"] = usage[r], ["reserved"] = 0, ["limit"] = limits[r],
            })]),
        });
    }

    private static async Task<IResult> UpdateAsync(HttpContext http, string targetProject, QuotaStore quotas, IdentityStore identity,
        IOptions<HoardOptions> options, CancellationToken cancellationToken)
    {
        if (!http.Token().IsAdmin)
        {
            throw NotAdmin();
        }

        var limits = ParseLimits(await Body.ReadAsync(http.Request, cancellationToken));
        await RequireProjectAsync(identity, options.Value, targetProject, cancellationToken);
        await quotas.SetLimitsAsync(targetProject, limits, cancellationToken);
        return Reply.Json(new JsonObject
        {
            ["quotas"] = new JsonObject(limits.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
        });
    }

    /// <summary>
    /// With the built-in identity, Hoard knows its projects, so unlike Trove it can refuse quotas for a project that does
    /// not exist; with an external Keystone it cannot, and behaves as Trove.
    /// </summary>
    private static async Task RequireProjectAsync(IdentityStore identity, HoardOptions options, string projectId, CancellationToken cancellationToken)
    {
        if (!options.Identity.IsKeystone && await identity.FindProjectAsync(IdentityApi.DomainId, projectId, null, cancellationToken) is null)
        {
            throw TroveFault.NotFound($"Project {projectId} cannot be found.");
        }
    }

    private static TroveFault NotAdmin() => TroveFault.Unauthorized("User does not have admin privileges.");

    private static string PythonList(IEnumerable<string> items) => $"[{string.Join(", ", items.Select(i => $"'{i}'"))}]";
}

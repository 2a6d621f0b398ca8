using System.Text.Json;
using System.Text.Json.Nodes;
using Hoard.Core.Compute;
using Hoard.Core.Instances;
using Hoard.Core.Workflows;
using Hoard.Persistence;
using Hoard.Server.TaskManager.Workflows;
using Hoard.Server.Trove;

namespace Hoard.Server.Apis;

/// <summary>
/// Trove's <c>access</c> of an instance, <c>{"is_public": bool, "allowed_cidrs": ["a.b.c.d/n", …]}</c>, in a create
/// and in an update. As in Trove, a missing key takes its default (private; every network), so an update replaces
/// the whole access. Every check comes before anything changes.
/// </summary>
internal static class AccessChange
{
    private static readonly InstanceTask[] StartableFrom = [InstanceTask.None, InstanceTask.RestartRequired];

    /// <summary>The allowed networks as stored (null: every network); throws a 400 fault for anything else.</summary>
    public static string? Parse(JsonObject access, string path, INetworkAccessProvider provider)
    {
        Body.OnlyKeys(access, path, "is_public", "allowed_cidrs");
        if (Body.Boolean(access, "is_public", path) == true)
        {
            throw TroveFault.BadRequest(
                "is_public is not available: instances of this Hoard server live on loopback addresses (127.x.y.z) of its host " +
                "and have no public network. Leave is_public false and use allowed_cidrs to choose who may connect.");
        }

        var values = new List<string>();
        var index = 0;
        foreach (var item in Body.Array(access, "allowed_cidrs", path) ?? [])
        {
            values.Add(item?.GetValueKind() == JsonValueKind.String
                ? item.GetValue<string>()
                : throw TroveFault.Validation($"{path}.allowed_cidrs[{index}] must be a string (an IPv4 CIDR a.b.c.d/n)."));
            index++;
        }

        IReadOnlyList<Ipv4Cidr> allowed;
        try
        {
            allowed = AllowedCidrs.Parse(values);
        }
        catch (FormatException e)
        {
            throw TroveFault.Validation($"{path}.allowed_cidrs: {e.Message}.");
        }

        if (allowed.Count > 0 && provider.UnavailableReason is { } reason)
        {
            throw TroveFault.BadRequest(
                $"allowed_cidrs cannot be enforced here ({reason}), and Hoard does not store a restriction that nothing enforces.");
        }

        return AllowedCidrs.ToStored(allowed);
    }

    /// <summary>Checks an update's access and starts the workflow that applies it (task UPDATING).</summary>
    public static async Task BeginAsync(HttpContext http, InstanceRecord instance, JsonNode? access, CancellationToken cancellationToken)
    {
        var services = http.RequestServices;
        var spec = access as JsonObject ?? throw TroveFault.Validation("instance.access must be an object.");
        var allowed = Parse(spec, "instance.access", services.GetRequiredService<INetworkAccessProvider>());
        var workflow = UpdateAccessWorkflow.Create(instance, allowed, services.GetRequiredService<TimeProvider>().GetUtcNow());
        if (instance.ServerStatus != ServerStatus.Active || !StartableFrom.Contains(instance.Task) ||
            !await services.GetRequiredService<NetworkAccessStore>().TryBeginUpdateAsync(instance.Id, instance.AllowedCidrs, allowed,
                workflow, StartableFrom, cancellationToken))
        {
            throw TroveFault.BadRequest(
                $"Instance {instance.Id} cannot change its access now (status was {InstanceStatusView.Status(instance.Task, instance.ServerStatus)}).");
        }

        services.GetRequiredService<WorkflowEngine>().Poke();
    }

    /// <summary>
    /// What enforces the instance's allowed networks, for <c>access.enforced_by</c>; empty when it has none to enforce,
    /// or when nothing can (then <c>access.reason</c> says why).
    /// </summary>
    public static void AddEnforcement(JsonObject view, InstanceRecord instance, INetworkAccessProvider provider)
    {
        if (view["access"] is not JsonObject access)
        {
            return;
        }

        var restricted = instance.AllowedCidrs is not null;
        access["enforced_by"] = restricted && provider.UnavailableReason is null ? new JsonArray(provider.Name) : new JsonArray();
        if (restricted && provider.UnavailableReason is { } reason)
        {
            access["reason"] = reason;
        }
    }
}

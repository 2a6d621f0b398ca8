using System.Text.Json.Nodes;
using Hoard.Core.Instances;
using Hoard.Core.Workflows;
using Hoard.Persistence;
using Hoard.Server.Hosting;
using Hoard.Server.TaskManager.Workflows;
using Hoard.Server.Trove;
using Microsoft.Extensions.Options;

namespace Hoard.Server.Apis;

/// <summary>
/// The <c>resize</c> instance action, as Trove checks it: <c>{"volume":{"size":N}}</c> grows the volume,
/// <c>{"flavorRef":"id"}</c> changes the flavor. Every check comes before anything changes; the quota check and the
/// start of the RESIZE task are one transaction.
/// </summary>
internal static class ResizeAction
{
    private static readonly InstanceTask[] StartableFrom = [InstanceTask.None, InstanceTask.RestartRequired];

    /// <summary>Checks the request and starts the resize workflow; the instance already passed Trove's availability check.</summary>
    public static async Task BeginAsync(HttpContext http, InstanceRecord instance, JsonNode? resize, CancellationToken cancellationToken)
    {
        var services = http.RequestServices;
        var spec = resize as JsonObject ?? throw TroveFault.Validation("resize must be an object: {\"volume\":{\"size\":N}} or {\"flavorRef\":\"<id>\"}.");
        var (hasVolume, hasFlavor) = (spec.ContainsKey("volume"), spec.ContainsKey("flavorRef"));
        if (hasVolume && hasFlavor)
        {
            throw TroveFault.BadRequest("Not allowed to resize volume and flavor at the same time.");
        }

        if (!hasVolume && !hasFlavor)
        {
            throw TroveFault.BadRequest("Missing resize arguments: resize needs 'volume' or 'flavorRef'.");
        }

        Body.OnlyKeys(spec, "resize", "volume", "flavorRef");
        var time = services.GetRequiredService<TimeProvider>();
        var options = services.GetRequiredService<IOptions<HoardOptions>>().Value;
        var (workflow, deltas) = hasVolume
            ? Volume(instance, spec, options, time)
            : await FlavorAsync(instance, spec, services, time, cancellationToken);

        var (begun, exceeded) = await services.GetRequiredService<InstanceStore>().TryBeginWithinQuotaAsync(instance, InstanceTask.Resizing,
            workflow, StartableFrom, deltas, QuotasApi.Defaults(options), cancellationToken);
        if (exceeded.Count > 0)
        {
            throw QuotasApi.Exceeded(exceeded);
        }

        if (!begun)
        {
            throw InstanceAccess.NotAvailable(instance);
        }

        services.GetRequiredService<WorkflowEngine>().Poke();
    }

    private static (WorkflowRecord, Dictionary<string, long>) Volume(InstanceRecord instance, JsonObject spec, HoardOptions options,
        TimeProvider time)
    {
        var volume = Body.Object(spec, "volume", "resize") ?? throw TroveFault.Validation("resize.volume must be an object.");
        var size = Body.PositiveInteger(volume, "size", "resize.volume");
        if (size <= instance.VolumeSize)
        {
            // Trove's CannotResizeToSameSize / BadValue: volumes only grow.
            throw TroveFault.BadRequest(
                $"The new volume 'size' must be larger than the current size of '{instance.VolumeSize}' GB; {size} cannot be accepted.");
        }

        if (size > options.MaxVolumeSizeGb)
        {
            throw TroveFault.OverLimit($"Volume 'size' cannot exceed maximum of {options.MaxVolumeSizeGb} GB, {size} cannot be accepted.");
        }

        return (ResizeVolumeWorkflow.Create(instance, size, time.GetUtcNow()),
            new Dictionary<string, long> { [QuotaStore.Volumes] = size - instance.VolumeSize });
    }

    private static async Task<(WorkflowRecord, Dictionary<string, long>)> FlavorAsync(InstanceRecord instance, JsonObject spec,
        IServiceProvider services, TimeProvider time, CancellationToken cancellationToken)
    {
        var catalog = services.GetRequiredService<CatalogStore>();
        var flavorRef = Body.Reference(spec, "flavorRef", "resize", required: true)!;
        var flavor = await catalog.GetFlavorAsync(flavorRef, cancellationToken)
                     ?? throw TroveFault.NotFound($"Flavor {flavorRef} could not be found.");
        if (flavor.Id == instance.FlavorId)
        {
            throw TroveFault.BadRequest($"No change was requested in the size of the instance: it already has flavor {flavor.Name}.");
        }

        var version = await catalog.GetVersionAsync(instance.DatastoreVersionId, cancellationToken)
                      ?? throw TroveFault.NotFound($"Datastore version {instance.DatastoreVersionId} cannot be found.");
        if (flavor.RamMb < version.Capabilities.MinimumRamMb)
        {
            throw TroveFault.BadRequest(
                $"Flavor {flavor.Name} has {flavor.RamMb} MB of RAM; {version.DatastoreName} needs at least {version.Capabilities.MinimumRamMb} MB.");
        }

        if (instance.ConfigurationId is { } configurationId &&
            await services.GetRequiredService<ConfigurationStore>().GetAsync(configurationId, null, cancellationToken) is { } group)
        {
            new ConfigurationRules(version).CheckFits(group.Values, flavor);
        }

        var current = await catalog.GetFlavorAsync(instance.FlavorId, cancellationToken);
        return (ResizeFlavorWorkflow.Create(instance, flavor.Id, time.GetUtcNow()),
            new Dictionary<string, long> { [QuotaStore.Ram] = flavor.RamMb - (current?.RamMb ?? 0) });
    }
}

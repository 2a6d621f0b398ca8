using Hoard.Core.Catalog;
using Hoard.Core.Instances;
using Hoard.Core.Workflows;
using Hoard.Persistence;
using Hoard.Server.TaskManager.Workflows;
using Hoard.Server.Trove;

namespace Hoard.Server.TaskManager;

/// <summary>What an instance's configuration should be: its group's values rendered for the guest, and their digest.</summary>
internal sealed record DesiredConfiguration(
    IReadOnlyDictionary<string, string> Overrides,
    string Digest,
    ConfigurationRules Rules,
    Flavor Flavor)
{
    /// <summary>True unless the guest already has these overrides, or already refused exactly these.</summary>
    public bool DiffersFrom(InstanceRecord instance)
    {
        var applied = instance.ConfigurationApplied ?? "";
        return applied != Digest && applied != ConfigurationApplier.Failed(Digest);
    }
}

/// <summary>Works out what an instance's configuration should be.</summary>
internal sealed class DesiredConfigurations(ConfigurationStore configurations, CatalogStore catalog)
{
    public async Task<DesiredConfiguration> DesiredAsync(InstanceRecord instance, CancellationToken cancellationToken)
    {
        var version = await catalog.GetVersionAsync(instance.DatastoreVersionId, cancellationToken)
                      ?? throw new InvalidOperationException($"Datastore version {instance.DatastoreVersionId} is gone.");
        var flavor = await catalog.GetFlavorAsync(instance.FlavorId, cancellationToken)
                     ?? throw new InvalidOperationException($"Flavor {instance.FlavorId} is gone.");
        var rules = new ConfigurationRules(version);
        var group = instance.ConfigurationId is { } id ? await configurations.GetAsync(id, null, cancellationToken) : null;
        var overrides = group is null ? new Dictionary<string, string>() : rules.Render(group.Values);
        return new DesiredConfiguration(overrides, ConfigurationRules.Digest(overrides), rules, flavor);
    }
}

/// <summary>Starts the workflow that brings an instance's guest to its desired configuration.</summary>
internal sealed class ConfigurationApplier(InstanceStore instances, WorkflowEngine engine, TimeProvider time)
{
    /// <summary>Tasks from which a configuration change may start (Trove: nothing else in progress).</summary>
    public static readonly InstanceTask[] StartableFrom = [InstanceTask.None, InstanceTask.RestartRequired];

    public static string Failed(string digest) => "failed:" + digest;

    /// <summary>Attach (<paramref name="configurationId"/>) or detach (null) and apply; false if the instance is busy or changed meanwhile.</summary>
    public async Task<bool> TryAttachAsync(InstanceRecord instance, string? configurationId, CancellationToken cancellationToken)
    {
        var workflow = ConfigureInstanceWorkflow.Create(instance, revertTo: (instance.ConfigurationId, configurationId), time.GetUtcNow());
        if (!await instances.TryBeginConfigurationAsync(instance.Id, instance.ConfigurationId, configurationId, workflow, StartableFrom,
                cancellationToken))
        {
            return false;
        }

        engine.Poke();
        return true;
    }

    /// <summary>Apply the instance's current group again (its values changed); false if the instance is busy.</summary>
    public async Task<bool> TryApplyAsync(InstanceRecord instance, CancellationToken cancellationToken)
    {
        var workflow = ConfigureInstanceWorkflow.Create(instance, revertTo: null, time.GetUtcNow());
        if (!await instances.TryBeginAsync(instance.Id, InstanceTask.Updating, workflow, StartableFrom, cancellationToken))
        {
            return false;
        }

        engine.Poke();
        return true;
    }
}

using Hoard.Contracts.Guest;
using Hoard.Core.Catalog;
using Hoard.Core.Instances;
using Hoard.Persistence;
using Hoard.Server.Identity;
using Hoard.Server.Trove;

namespace Hoard.Server.Apis;

/// <summary>Finds a caller's instance (404 for anyone else's) and checks whether it can take an action now.</summary>
internal sealed class InstanceAccess(InstanceStore instances, CatalogStore catalog)
{
    private static readonly ServiceStatus[] ActionableService =
        [ServiceStatus.Running, ServiceStatus.Healthy, ServiceStatus.Shutdown, ServiceStatus.Crashed, ServiceStatus.Blocked];

    public async Task<InstanceRecord> GetAsync(HttpContext http, string id, CancellationToken cancellationToken)
    {
        var token = http.Token();
        var instance = await instances.GetAsync(id, cancellationToken);
        return instance is not null && instance.ProjectId == token.ProjectId
            ? instance
            : throw TroveFault.NotFound($"Instance {id} could not be found.");
    }

    /// <summary>Trove's pre-check for actions: 422 unless the instance is up and nothing else is in progress.</summary>
    public static void RequireAvailable(InstanceRecord instance)
    {
        if (instance.ServerStatus != ServerStatus.Active || instance.Task is not (InstanceTask.None or InstanceTask.RestartRequired) ||
            !ActionableService.Contains(instance.ServiceStatus))
        {
            throw NotAvailable(instance);
        }
    }

    /// <summary>Databases, users and root need the database server itself to answer.</summary>
    public static void RequireServing(InstanceRecord instance)
    {
        RequireAvailable(instance);
        if (instance.ServiceStatus is not (ServiceStatus.Running or ServiceStatus.Healthy))
        {
            throw NotAvailable(instance);
        }
    }

    public static TroveFault NotAvailable(InstanceRecord instance) => TroveFault.Unprocessable(
        $"Instance {instance.Id} is not currently available for an action to be performed " +
        $"(status was {InstanceStatusView.Status(instance.Task, instance.ServerStatus)}).");

    public async Task<DatastoreRules> RulesAsync(InstanceRecord instance, CancellationToken cancellationToken)
    {
        var version = await catalog.GetVersionAsync(instance.DatastoreVersionId, cancellationToken)
                      ?? throw TroveFault.NotFound($"Datastore version {instance.DatastoreVersionId} cannot be found.");
        return new DatastoreRules(version.Capabilities);
    }
}

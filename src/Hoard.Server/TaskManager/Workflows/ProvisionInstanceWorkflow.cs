using Hoard.Contracts;
using Hoard.Contracts.Bus;
using Hoard.Contracts.Guest;
using Hoard.Core.Compute;
using Hoard.Core.Instances;
using Hoard.Core.Workflows;
using Hoard.Messaging.Clients;
using Hoard.Persistence;
using Hoard.Server.Hosting;
using Hoard.Server.Identity;
using Hoard.Server.TaskManager;
using Microsoft.Extensions.Options;

namespace Hoard.Server.TaskManager.Workflows;

/// <summary>
/// Create, step by step: address and volume → guest process → prepare → wait for the guest to report the
/// server healthy → ACTIVE. Any step past its deadline turns the instance into ERROR with a fault naming it.
/// </summary>
internal sealed class ProvisionInstanceWorkflow(
    InstanceStore instances,
    CatalogStore catalog,
    IComputeProvider compute,
    IVolumeProvider volumes,
    IMessageBus bus,
    DesiredConfigurations configurations,
    IOptions<HoardOptions> options) : IWorkflow
{
    public const string Name = "provision_instance";
    private const string DatabasesKey = "databases";
    private const string UsersKey = "users";
    private const string ConfigurationKey = "configuration_digest";

    public string Type => Name;

    public IReadOnlyList<WorkflowStep> Steps =>
    [
        new("allocate_resources", TimeSpan.FromSeconds(30), AllocateAsync),
        new("start_guest", TimeSpan.FromSeconds(30), StartGuestAsync),
        new("prepare", TimeSpan.FromSeconds(30), PrepareAsync),
        new("await_guest", TimeSpan.FromSeconds(options.Value.BuildTimeoutSeconds), AwaitGuestAsync),
        new("complete", TimeSpan.FromSeconds(30), CompleteAsync),
    ];

    public static WorkflowRecord Create(InstanceRecord instance, IReadOnlyList<DatabaseSpec> databases, IReadOnlyList<UserSpec> users)
    {
        var record = new WorkflowRecord
        {
            Id = Guid.NewGuid().ToString(), Type = Name, InstanceId = instance.Id, Created = instance.Created, Updated = instance.Created,
        };
        var context = new System.Text.Json.Nodes.JsonObject
        {
            [DatabasesKey] = System.Text.Json.JsonSerializer.SerializeToNode(new CreateDatabasesRequest(databases), HoardJson.Default.CreateDatabasesRequest),
            [UsersKey] = System.Text.Json.JsonSerializer.SerializeToNode(new CreateUsersRequest(users), HoardJson.Default.CreateUsersRequest),
        };
        record.Data = context.ToJsonString();
        return record;
    }

    private async Task<StepOutcome> AllocateAsync(WorkflowContext context, CancellationToken cancellationToken)
    {
        var instance = await RequireInstanceAsync(context, cancellationToken);
        var address = await compute.AllocateAddressAsync(instance.Id, instance.Port, cancellationToken);
        await instances.SetAddressAsync(instance.Id, address, cancellationToken);
        context.Data["volume_path"] = await volumes.CreateAsync(instance.Id, instance.VolumeSize, cancellationToken);
        context.Data["address"] = address;
        return StepOutcome.Next;
    }

    private async Task<StepOutcome> StartGuestAsync(WorkflowContext context, CancellationToken cancellationToken)
    {
        if (await compute.IsGuestRunningAsync(context.InstanceId, cancellationToken))
        {
            return StepOutcome.Next;
        }

        var instance = await RequireInstanceAsync(context, cancellationToken);
        var version = await catalog.GetVersionAsync(instance.DatastoreVersionId, cancellationToken)
                      ?? throw new InvalidOperationException($"Datastore version {instance.DatastoreVersionId} is gone.");
        // A fresh secret each launch: only its hash is stored, the guest gets it through its private config file.
        var flavor = await catalog.GetFlavorAsync(instance.FlavorId, cancellationToken)
                     ?? throw new InvalidOperationException($"Flavor {instance.FlavorId} is gone.");
        var secret = Secrets.NewToken();
        await instances.SetBusSecretHashAsync(instance.Id, Secrets.Sha256(secret), cancellationToken);
        await compute.StartGuestAsync(new GuestLaunch(instance.Id, version.Manager, context.RequireString("address"),
            instance.Port, context.RequireString("volume_path"), secret, flavor.RamMb, flavor.Vcpus), cancellationToken);
        return StepOutcome.Next;
    }

    private async Task<StepOutcome> PrepareAsync(WorkflowContext context, CancellationToken cancellationToken)
    {
        var instance = await RequireInstanceAsync(context, cancellationToken);
        var version = await catalog.GetVersionAsync(instance.DatastoreVersionId, cancellationToken)
                      ?? throw new InvalidOperationException($"Datastore version {instance.DatastoreVersionId} is gone.");
        var flavor = await catalog.GetFlavorAsync(instance.FlavorId, cancellationToken)
                     ?? throw new InvalidOperationException($"Flavor {instance.FlavorId} is gone.");
        var databases = context.Get(DatabasesKey, HoardJson.Default.CreateDatabasesRequest)?.Databases ?? [];
        var users = context.Get(UsersKey, HoardJson.Default.CreateUsersRequest)?.Users ?? [];
        var configuration = await configurations.DesiredAsync(instance, cancellationToken);
        context.Data[ConfigurationKey] = configuration.Digest;
        await instances.SetServerStatusAsync(instance.Id, ServerStatus.Build, cancellationToken);
        await new GuestClient(bus, instance.Id).PrepareAsync(new PrepareRequest(version.DatastoreName, version.Name, flavor.RamMb,
            flavor.Vcpus, instance.VolumeSize, databases, users, configuration.Overrides), cancellationToken);
        return StepOutcome.Next;
    }

    private async Task<StepOutcome> AwaitGuestAsync(WorkflowContext context, CancellationToken cancellationToken)
    {
        var instance = await RequireInstanceAsync(context, cancellationToken);
        switch (instance.ServiceStatus)
        {
            case ServiceStatus.Healthy or ServiceStatus.Running:
                return StepOutcome.Next;
            case ServiceStatus.Failed:
                var fault = await instances.GetLatestFaultAsync(instance.Id, cancellationToken);
                return StepOutcome.Fail(fault?.Message ?? "The guest agent could not prepare the database server.", fault?.Details);
        }

        if (!await compute.IsGuestRunningAsync(instance.Id, cancellationToken))
        {
            return StepOutcome.Fail("The guest agent process exited before the database server was ready.");
        }

        return StepOutcome.WaitFor(TimeSpan.FromSeconds(1));
    }

    private async Task<StepOutcome> CompleteAsync(WorkflowContext context, CancellationToken cancellationToken)
    {
        await instances.SetServerStatusAsync(context.InstanceId, ServerStatus.Active, cancellationToken);
        await instances.TryFinishConfigurationAsync(context.InstanceId, InstanceTask.Building, InstanceTask.None,
            context.GetString(ConfigurationKey) ?? "", cancellationToken);
        ForgetPasswords(context);
        return StepOutcome.Next;
    }

    public async Task OnFailedAsync(WorkflowContext context, WorkflowFault fault, CancellationToken cancellationToken)
    {
        ForgetPasswords(context);
        var task = fault.TimedOut && fault.Step == "await_guest"
            ? InstanceTask.BuildingErrorTimeout
            : InstanceTask.BuildingError;
        if (await instances.TrySetTaskAsync(context.InstanceId, InstanceTask.Building, task, cancellationToken))
        {
            await instances.SetServerStatusAsync(context.InstanceId, ServerStatus.Error, cancellationToken);
        }

        await instances.AddFaultAsync(context.InstanceId, $"Building the instance failed at step '{fault.Step}': {fault.Message}",
            fault.Details, cancellationToken);
    }

    /// <summary>Users' passwords are kept only until the guest has them.</summary>
    private static void ForgetPasswords(WorkflowContext context) => context.Data.Remove(UsersKey);

    private async Task<InstanceRecord> RequireInstanceAsync(WorkflowContext context, CancellationToken cancellationToken) =>
        await instances.GetAsync(context.InstanceId, cancellationToken)
        ?? throw new InvalidOperationException($"Instance {context.InstanceId} no longer exists.");
}

using Hoard.Core.Backups;
using Hoard.Core.Compute;
using Hoard.Core.Workflows;
using Hoard.Persistence;
using Hoard.Providers.Local;
using Hoard.Server.Apis;
using Hoard.Server.Conductor;
using Hoard.Server.Dashboard;
using Hoard.Server.Identity;
using Hoard.Server.Observability;
using Hoard.Server.RateLimiting;
using Hoard.Server.TaskManager;
using Hoard.Server.TaskManager.Replication;
using Hoard.Server.TaskManager.Workflows;
using Hoard.Server.Trove;
using Microsoft.Extensions.Options;

namespace Hoard.Server.Hosting;

internal static class HoardServerExtensions
{
    /// <summary>Composition root: the embedded defaults (SQLite unless Hoard:StateDb says postgresql, embedded bus unless Hoard:Bus says rabbitmq, local compute, loopfs volumes when root, else directories).</summary>
    public static WebApplicationBuilder AddHoard(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.Configure<HoardOptions>(builder.Configuration.GetSection("Hoard"));
        var options = builder.Configuration.GetSection("Hoard").Get<HoardOptions>() ?? new HoardOptions();
        builder.WebHost.UseUrls(options.Listen);

        services.AddSingleton(TimeProvider.System);
        services.AddHoardStateDb(builder.Configuration, options);
        services.AddSingleton<InstanceStore>();
        services.AddSingleton<CatalogStore>();
        services.AddSingleton<ConfigurationStore>();
        services.AddSingleton<QuotaStore>();
        services.AddSingleton<ProjectRateLimiter>();
        services.AddSingleton<LoginThrottle>();
        services.AddSingleton<IdentityStore>();
        services.AddSingleton<ApplicationCredentialStore>();
        services.AddSingleton<ConductorStore>();
        services.AddSingleton<WorkflowStore>();
        services.AddSingleton<IWorkflowStore>(sp => sp.GetRequiredService<WorkflowStore>());
        services.AddSingleton<Bootstrapper>();
        services.AddHoardIdentity(options);
        services.AddSingleton<InstanceAccess>();

        services.AddHoardBus(options);

        services.AddSingleton(sp =>
        {
            var o = sp.GetRequiredService<IOptions<HoardOptions>>().Value;
            return new LocalOptions
            {
                DataDir = o.DataDir, BusSocket = o.BusSocket, GuestAssembly = o.GuestAssembly, OsUser = o.OsUser,
                HeartbeatIntervalSeconds = o.HeartbeatIntervalSeconds, LoopbackSecondOctet = o.LoopbackSecondOctet, JsonLogs = o.JsonLogs,
                RabbitMqUrl = BusSelection.BrokerUrl(o),
            };
        });
        services.AddSingleton<OsAccount>();
        services.AddHoardCompute(options);
        services.AddSingleton<NetworkAccessStore>();
        services.AddSingleton<NetworkAccessSync>();
        services.AddSingleton(sp => WriteEndpointSelection.Create(sp.GetRequiredService<LocalOptions>(), sp.GetRequiredService<ILoggerFactory>()));
        services.AddSingleton<ReplicationSetStore>();
        services.AddSingleton<WriteEndpointSync>();

        services.AddSingleton<BackupStore>();
        services.AddSingleton<BackupStrategyStore>();
        services.AddSingleton(sp => BackupStorageSelection.Create(sp.GetRequiredService<IOptions<HoardOptions>>().Value, sp.GetRequiredService<ILoggerFactory>()));
        services.AddSingleton(sp => new BackupKeyring(sp.GetRequiredService<IOptions<HoardOptions>>().Value.BackupKeyPath));
        services.AddSingleton<BackupPipeline>();
        services.AddSingleton<TransferTokens>();
        services.AddSingleton<WalArchiveStore>();
        services.AddSingleton<RecoveryWindows>();
        services.AddSingleton<PointInTimeProvisioning>();
        services.AddSingleton<BackupStarter>();
        services.AddSingleton<BackupDeleter>();
        services.AddSingleton<BackupScheduleStore>();
        services.AddSingleton<ScheduledBackupPruner>();

        services.AddSingleton<IWorkflow, ProvisionInstanceWorkflow>();
        services.AddSingleton<IWorkflow, DeleteInstanceWorkflow>();
        services.AddSingleton<IWorkflow, RestartInstanceWorkflow>();
        services.AddSingleton<IWorkflow, ConfigureInstanceWorkflow>();
        services.AddSingleton<IWorkflow, ResizeVolumeWorkflow>();
        services.AddSingleton<IWorkflow, ResizeFlavorWorkflow>();
        services.AddSingleton<IWorkflow, UpdateAccessWorkflow>();
        services.AddSingleton<IWorkflow, CreateBackupWorkflow>();
        services.AddSingleton<IWorkflow, DetachReplicaWorkflow>();
        services.AddSingleton<IWorkflow, PromoteReplicaWorkflow>();
        services.AddSingleton<IWorkflow, EjectSourceWorkflow>();
        services.AddSingleton<IWorkflow, SetReplicationModeWorkflow>();
        services.AddSingleton<ReplicationSets>();
        services.AddSingleton<ReplicaProvisioning>();
        services.AddSingleton<DesiredConfigurations>();
        services.AddSingleton<ConfigurationApplier>();
        services.AddSingleton<WorkflowEngine>();

        services.AddHostedService<ConductorService>();
        services.AddHostedService<TaskManagerService>();
        services.AddHostedService<OrphanedTaskReaper>();
        services.AddHostedService<GuestReconciler>();
        services.AddHostedService<OrphanReconciler>();
        services.AddHostedService<ConfigurationReconciler>();
        services.AddHostedService<NetworkAccessReconciler>();
        services.AddHostedService<WriteEndpointReconciler>();
        services.AddHostedService<FailoverMonitor>();
        services.AddHostedService<WalArchiveJanitor>();
        services.AddHostedService<BackupScheduler>();
        builder.AddObservability(options.JsonLogs);
        builder.AddHoardDashboard(options);
        return builder;
    }

    public static WebApplication MapHoard(this WebApplication app)
    {
        app.UseRequestObserver();
        // Faults next, so that even a routing failure is answered in Trove's format.
        app.UseMiddleware<FaultMiddleware>();
        app.UseRouting();
        app.UseMiddleware<TroveAuthMiddleware>();
        app.UseMiddleware<ProjectRateLimitMiddleware>();
        app.MapCatalogApi();
        app.MapIdentityApi();
        app.MapInstancesApi();
        app.MapDatabasesApi();
        app.MapUsersApi();
        app.MapRootApi();
        app.MapGuestLogApi();
        app.MapConfigurationsApi();
        app.MapQuotasApi();
        app.MapMgmtApi();
        app.MapMgmtHostsApi();
        app.MapBackupsApi();
        app.MapBackupStrategiesApi();
        app.MapBackupScheduleApi();
        app.MapBackupTransfersApi();
        app.MapWalArchiveApi();
        app.MapRecoveryWindowApi();
        app.MapWalTokenApi();
        app.MapObservabilityApi();
        app.MapHoardDashboard();
        return app;
    }
}

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
    /// <summary>
    /// Composition root: the embedded defaults (SQLite unless Hoard:StateDb says postgresql, embedded bus unless Hoard:Bus
    /// says rabbitmq, local compute unless Hoard:Compute says hosts, loopfs volumes when root, else directories), and the
    /// roles this process runs (<see cref="HoardRoles"/>). Every process registers the same services; the roles decide
    /// which hosted services run and which endpoints are mapped.
    /// </summary>
    public static WebApplicationBuilder AddHoard(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.Configure<HoardOptions>(builder.Configuration.GetSection("Hoard"));
        // --roles on the command line wins over Hoard:Roles.
        if (builder.Configuration["roles"] is { } rolesArgument)
        {
            builder.Configuration["Hoard:Roles"] = rolesArgument;
        }

        var options = builder.Configuration.GetSection("Hoard").Get<HoardOptions>() ?? new HoardOptions();
        var roles = RoleSelection.Validate(options);
        services.AddSingleton(roles);
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
        services.AddSingleton<LeaseStore>();
        services.AddSingleton<ProcessIdentity>();
        services.AddSingleton<Bootstrapper>();
        services.AddHoardIdentity(options);
        services.AddSingleton<InstanceAccess>();

        services.AddHoardBus(options, builder.Configuration);

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
        services.AddWorkflowEngine(options, roles);
        services.AddRoleServices(roles);
        builder.AddObservability(options.JsonLogs);
        builder.AddHoardDashboard(options);
        return builder;
    }

    /// <summary>
    /// The engine is registered in every process (the API and the conductor signal it), but runs only with the taskmanager
    /// role. Across processes its signals go over the bus (<see cref="BusWorkflowRelay"/>); in one process they stay inside.
    /// </summary>
    private static void AddWorkflowEngine(this IServiceCollection services, HoardOptions options, HoardRoles roles)
    {
        // On RabbitMQ other processes may hold workflows (even beside an all-roles process); on the embedded bus none can.
        if (!roles.SoleProcess)
        {
            services.AddSingleton<BusWorkflowRelay>();
            services.AddSingleton<IWorkflowSignalRelay>(sp => sp.GetRequiredService<BusWorkflowRelay>());
        }

        // Without the taskmanager role the engine only relays signals: it needs no workflows (nor the providers they use).
        services.AddSingleton(sp => new WorkflowEngine(sp.GetRequiredService<IWorkflowStore>(), roles.TaskManager ? sp.GetServices<IWorkflow>() : [],
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<WorkflowEngine>>(), sp.GetService<IWorkflowObserver>(),
            new WorkflowEngineOptions
            {
                Owner = sp.GetRequiredService<ProcessIdentity>().Id, Lease = TimeSpan.FromSeconds(options.LeaseSeconds), Sole = roles.SoleProcess,
            },
            sp.GetService<IWorkflowSignalRelay>()));
    }

    /// <summary>
    /// The hosted services of each role. Jobs that must not run twice at once among several task managers (or conductors)
    /// run under a lease (<see cref="LeaderOnlyService{TJob}"/>): one process runs each, another takes over when it dies.
    /// </summary>
    private static void AddRoleServices(this IServiceCollection services, HoardRoles roles)
    {
        if (roles.Conductor)
        {
            services.AddHostedService<ConductorService>();
            services.AddSingletonJob<SilentGuestSweeper>(roles);
        }

        if (roles.TaskManager)
        {
            services.AddHostedService<TaskManagerService>();
            services.AddSingletonJob<OrphanedTaskReaper>(roles);
            services.AddSingletonJob<GuestReconciler>(roles);
            services.AddSingletonJob<OrphanReconciler>(roles);
            services.AddSingletonJob<ConfigurationReconciler>(roles);
            services.AddSingletonJob<NetworkAccessReconciler>(roles);
            services.AddSingletonJob<WriteEndpointReconciler>(roles);
            services.AddSingletonJob<FailoverMonitor>(roles);
            services.AddSingletonJob<WalArchiveJanitor>(roles);
            services.AddSingletonJob<BackupScheduler>(roles);
        }
    }

    /// <summary>The sole process runs the job directly, as always; among several it runs under its lease.</summary>
    private static void AddSingletonJob<TJob>(this IServiceCollection services, HoardRoles roles)
        where TJob : class, IHostedService
    {
        if (roles.SoleProcess)
        {
            services.AddHostedService<TJob>();
        }
        else
        {
            services.AddHostedService<LeaderOnlyService<TJob>>();
        }
    }

    public static WebApplication MapHoard(this WebApplication app)
    {
        var roles = app.Services.GetRequiredService<HoardRoles>();
        app.MapRoleHealth();
        if (!roles.Api)
        {
            app.UseMiddleware<FaultMiddleware>();
            if (roles.TaskManager)
            {
                // Guests stream backups and restores to the task manager that issued their one-time tokens (held in its memory).
                app.MapBackupTransfersApi();
                app.MapWalArchiveApi();
            }

            return app;
        }

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
        app.MapMgmtHostBrokerUsersApi();
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

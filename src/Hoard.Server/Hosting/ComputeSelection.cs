using Hoard.Core.Compute;
using Hoard.Persistence;
using Hoard.Providers.Hosts;
using Hoard.Providers.Local;
using Hoard.Server.TaskManager.Hosts;
using Microsoft.Extensions.Options;

namespace Hoard.Server.Hosting;

/// <summary>Chooses the compute and volume providers from the <c>Compute</c> setting: <c>local</c> (the default) or <c>hosts</c>.</summary>
internal static class ComputeSelection
{
    private const string Local = "local";
    private const string Hosts = "hosts";

    public static IServiceCollection AddHoardCompute(this IServiceCollection services, HoardOptions options)
    {
        // Always: the admin's host list is empty with the local provider rather than missing.
        services.AddSingleton<HostStore>();
        switch (options.Compute.Trim().ToLowerInvariant())
        {
            case Local:
                services.AddSingleton<IComputeProvider, LocalComputeProvider>();
                services.AddSingleton(sp => VolumeProviderSelection.Create(sp.GetRequiredService<IOptions<HoardOptions>>().Value.VolumeProvider,
                    sp.GetRequiredService<LocalOptions>(), sp.GetRequiredService<OsAccount>(), sp.GetRequiredService<ILoggerFactory>()));
                services.AddSingleton(sp => NetworkAccessSelection.Create(sp.GetRequiredService<IOptions<HoardOptions>>().Value.NetworkAccessProvider,
                    sp.GetRequiredService<LocalOptions>(), sp.GetRequiredService<ILoggerFactory>()));
                return services;
            case Hosts:
                if (BusSelection.BrokerUrl(options) is null)
                {
                    throw new InvalidOperationException("Hoard:Compute is hosts, which needs Hoard:Bus=rabbitmq: host agents and their guests reach the server through the broker.");
                }

                services.AddSingleton(new HostsOptions());
                services.AddSingleton<InstanceHosts>();
                services.AddSingleton<IInstanceHosts>(sp => sp.GetRequiredService<InstanceHosts>());
                services.AddSingleton<HostAgentClient>();
                services.AddSingleton<HostsHeldResources>();
                services.AddSingleton<HostsComputeProvider>();
                services.AddSingleton<IComputeProvider>(sp => sp.GetRequiredService<HostsComputeProvider>());
                services.AddSingleton<IVolumeProvider, HostsVolumeProvider>();
                // The rules would have to be on every host, around its instances' addresses; nftables here guards nothing there.
                services.AddSingleton<INetworkAccessProvider>(new UnenforcedNetworkAccess(
                    "instances run on other hosts (Hoard:Compute=hosts), where this server sets no firewall rules"));
                services.AddHostedService<HostRegistry>();
                return services;
            default:
                throw new InvalidOperationException($"Compute '{options.Compute}' is unknown; use {Local} or {Hosts}.");
        }
    }
}

using Hoard.Contracts.Bus;
using Hoard.Contracts.Hosts;
using Hoard.Persistence;
using Hoard.Server.Hosting;
using Microsoft.Extensions.Options;

namespace Hoard.Server.TaskManager.Hosts;

/// <summary>
/// Keeps the hosts table: every agent's report (on topic <c>hosts</c>) updates its host's capacity and liveness, and a
/// host silent for HostDownAfterSeconds is marked down (logged once). Its instances' guests fall silent too, so the
/// conductor marks them SHUTDOWN and the failover monitor replaces sources, as for guests on this machine.
/// </summary>
internal sealed partial class HostRegistry(IMessageBus bus, HostStore hosts, IOptions<HoardOptions> options, TimeProvider time,
    ILogger<HostRegistry> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await using var subscription = await bus.SubscribeAsync(HostTopics.Reports, OnReportAsync, stoppingToken);
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    var silentSince = time.GetUtcNow() - TimeSpan.FromSeconds(options.Value.HostDownAfterSeconds);
                    foreach (var name in await hosts.MarkSilentDownAsync(silentSince, stoppingToken))
                    {
                        LogDown(name, options.Value.HostDownAfterSeconds);
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogFailed(e);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task<System.Text.Json.JsonElement?> OnReportAsync(BusEnvelope message, CancellationToken cancellationToken)
    {
        var report = HostJson.FromElement<HostReport>(message.Args);
        // With broker users of their own (rabbitmq bus), an agent reports only about its own host.
        if (message.Sender is not null && message.Sender != Hoard.Messaging.RabbitMq.BrokerNames.HostSender(report.Name))
        {
            LogImpersonation(message.Sender, report.Name);
            return null;
        }

        // Reports queue up in the broker while this server is away: an old one says nothing about the host now (it
        // would mark a host that has died since as up). Clocks may differ a little; a report is current for as long as
        // a host may be silent.
        if (time.GetUtcNow() - report.Sent > TimeSpan.FromSeconds(options.Value.HostDownAfterSeconds))
        {
            return null;
        }

        var known = await hosts.GetAsync(report.Name, cancellationToken);
        await hosts.ReportAsync(report.Name, report.Address, report.RamMb, report.DiskGb, report.FreeRamMb, report.FreeDiskGb, cancellationToken);
        if (known is null || known.Status != HostStore.Up)
        {
            LogUp(report.Name, report.Address, report.RamMb, report.DiskGb);
        }

        return null;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Host {Name} at {Address} is up: {RamMb} MB of RAM, {DiskGb} GB of disk")]
    private partial void LogUp(string name, string address, long ramMb, long diskGb);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Host {Name} is down: no report for {Seconds} s")]
    private partial void LogDown(string name, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Sender} reported about host {Name}; ignored")]
    private partial void LogImpersonation(string sender, string name);

    [LoggerMessage(Level = LogLevel.Error, Message = "Marking silent hosts down failed")]
    private partial void LogFailed(Exception e);
}

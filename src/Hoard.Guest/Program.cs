using System.Runtime.InteropServices;
using Hoard.Guest.Datastores;
using Hoard.Contracts.Bus;

namespace Hoard.Guest;

internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args is not ["--config", var configPath])
        {
            await Console.Error.WriteLineAsync("usage: hoard-guest --config <guest.json>");
            return 2;
        }

        var config = GuestConfig.Load(configPath);
        StandardStreams.RedirectTo(Path.Combine(config.Paths.Log, "guest.out"));
        using var log = new GuestLog(Path.Combine(config.Paths.Log, "guest.log"), config.JsonLogs ? config.InstanceId : null);
        log.Info($"hoard-guest {Environment.ProcessId} starting for instance {config.InstanceId}");
        await File.WriteAllTextAsync(Path.Combine(config.Paths.Run, "guest.pid"), Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));

        using var stopping = new CancellationTokenSource();
        using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stopping.Cancel(); });
        using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stopping.Cancel(); });

        IMessageBus bus;
        try
        {
            bus = await GuestBus.ConnectAsync(config, log, stopping.Token);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            return 0;
        }

        await using var busLifetime = (IAsyncDisposable)bus;
        await using var manager = DatastoreManagers.Create(config, log);
        var agent = new GuestAgent(config, bus, manager, log, TimeProvider.System);
        try
        {
            await agent.RunAsync(stopping.Token);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }

        log.Info("Stopping");
        await agent.ShutdownAsync();
        return 0;
    }
}

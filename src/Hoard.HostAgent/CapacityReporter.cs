using Hoard.Contracts.Bus;
using Hoard.Contracts.Hosts;

namespace Hoard.HostAgent;

/// <summary>
/// Casts this host's capacity and what it measures free to the <c>hosts</c> topic every few seconds; hoard-server's
/// host registry keeps them and counts a host silent for long as down.
/// </summary>
internal sealed class CapacityReporter(HostAgentConfig config, IMessageBus bus, TimeProvider time)
{
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(config.ReportIntervalSeconds), time);
        do
        {
            await bus.CastAsync(HostTopics.Reports, HostMethods.Report, HostJson.ToElement(Measure()), cancellationToken);
        }
        while (await timer.WaitForNextTickAsync(cancellationToken));
    }

    public HostReport Measure()
    {
        var totalRamMb = MemInfoMb("MemTotal");
        var ramMb = config.RamMb ?? totalRamMb;
        Directory.CreateDirectory(config.DataDir);
        var drive = new DriveInfo(config.DataDir);
        var diskGb = config.DiskGb ?? drive.TotalSize >> 30;
        return new HostReport(config.Name, config.Address, ramMb, diskGb,
            Math.Min(ramMb, MemInfoMb("MemAvailable")), Math.Min(diskGb, drive.AvailableFreeSpace >> 30), time.GetUtcNow());
    }

    private static long MemInfoMb(string key)
    {
        foreach (var line in File.ReadLines("/proc/meminfo"))
        {
            if (line.StartsWith(key + ":", StringComparison.Ordinal))
            {
                return long.Parse(line[(key.Length + 1)..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) / 1024;
            }
        }

        return 0;
    }
}

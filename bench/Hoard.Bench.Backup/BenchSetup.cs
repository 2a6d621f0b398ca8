using Hoard.Bench.Provisioning;

namespace Hoard.Bench.Backup;

/// <summary>The machine's load, which the backup report prints beside its figures (the rest of the set-up is the provisioning bench's <see cref="Setup"/>).</summary>
internal static class BenchSetup
{
    /// <summary>Load average and CPU pressure: other work on the machine shows up in both sides' times.</summary>
    public static string Load()
    {
        var load = string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        try
        {
            var pressure = File.ReadLines("/proc/pressure/cpu").First().Split(' ').FirstOrDefault(f => f.StartsWith("avg60=", StringComparison.Ordinal));
            return pressure is null ? $"loadavg {load}" : $"loadavg {load}, cpu pressure {pressure}%";
        }
        catch (IOException)
        {
            return $"loadavg {load}";
        }
    }
}

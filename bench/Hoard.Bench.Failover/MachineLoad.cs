namespace Hoard.Bench.Failover;

/// <summary>The machine's load, which the report prints beside its figures.</summary>
internal static class MachineLoad
{
    /// <summary>Load average and CPU pressure: other work on the machine shows up in both sides' times.</summary>
    public static string Describe()
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

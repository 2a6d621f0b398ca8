namespace Hoard.Bench.Scale;

/// <summary>What one timed list load did: operations completed in the window and how long each took (ms).</summary>
internal sealed record LoadFigures(int Operations, int Requests, TimeSpan Window, double[] LatenciesMs)
{
    public double PerSecond => Operations / Window.TotalSeconds;

    public double RequestsPerSecond => Requests / Window.TotalSeconds;

    public double P50 => Percentile(0.50);

    public double P99 => Percentile(0.99);

    /// <summary>Nearest rank on the sorted latencies.</summary>
    public double Percentile(double p)
    {
        if (LatenciesMs.Length == 0)
            return double.NaN;
        var sorted = LatenciesMs.Order().ToArray();
        var rank = (int)Math.Ceiling(p * sorted.Length) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Length - 1)];
    }
}

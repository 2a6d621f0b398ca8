using Prometheus;

namespace Hoard.Server.Observability;

/// <summary>Replaces all of a labelled gauge's series at once, so series of things that are gone (deleted instances) disappear.</summary>
internal static class GaugeSeries
{
    public static void Replace(Gauge gauge, IEnumerable<(string[] Labels, double Value)> series)
    {
        var current = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (labels, value) in series)
        {
            gauge.WithLabels(labels).Set(value);
            current.Add(Key(labels));
        }

        foreach (var labels in gauge.GetAllLabelValues())
        {
            if (!current.Contains(Key(labels)))
            {
                gauge.RemoveLabelled(labels);
            }
        }
    }

    private static string Key(string[] labels) => string.Join('\u0001', labels);
}

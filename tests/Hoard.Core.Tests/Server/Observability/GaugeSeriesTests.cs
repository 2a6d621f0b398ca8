using Hoard.Server.Observability;
using Prometheus;

namespace Hoard.Core.Tests.Server.Observability;

public sealed class GaugeSeriesTests
{
    [Fact]
    public async Task Replace_SetsTheGivenSeries_AndDropsTheOnesNoLongerGiven()
    {
        var registry = Metrics.NewCustomRegistry();
        var gauge = Metrics.WithCustomRegistry(registry).CreateGauge("test_connections", "help", ["instance_id"]);

        GaugeSeries.Replace(gauge, [(["a"], 1), (["b"], 2)]);
        GaugeSeries.Replace(gauge, [(["b"], 5)]);

        var text = await ExportAsync(registry);
        Assert.Contains("test_connections{instance_id=\"b\"} 5", text);
        Assert.DoesNotContain("instance_id=\"a\"", text);
    }

    private static async Task<string> ExportAsync(CollectorRegistry registry)
    {
        using var stream = new MemoryStream();
        await registry.CollectAndExportAsTextAsync(stream);
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }
}

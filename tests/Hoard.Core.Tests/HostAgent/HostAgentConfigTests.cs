using Hoard.Core.Tests.Backups;
using Hoard.HostAgent;

namespace Hoard.Core.Tests.HostAgent;

/// <summary>The host agent's config file and what it reports of its capacity.</summary>
public sealed class HostAgentConfigTests : IDisposable
{
    private const string Required =
        "\"name\":\"h-1\",\"address\":\"10.0.0.5\",\"rabbit_mq_url\":\"amqp://hoard:s3cret@10.0.0.1:5672/\",\"data_dir\":\"DIR\"," +
        "\"address_pool\":[\"10.0.0.10-10.0.0.12\"]";

    private readonly string _dir = Directory.CreateTempSubdirectory("hoard-agent-config-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Load_KeepsTheDefaultsOfWhatTheFileLeavesOut()
    {
        var config = HostAgentConfig.Load(Write("{" + Required + "}"));

        Assert.Equal(("h-1", "10.0.0.5", "dbaas", "auto", 2.0, 2.0), (config.Name, config.Address, config.OsUser, config.VolumeProvider,
            config.ReportIntervalSeconds, config.HeartbeatIntervalSeconds));
        Assert.Null(config.RamMb);
        Assert.Equal(["10.0.0.10", "10.0.0.11", "10.0.0.12"], config.ExpandedPool());
    }

    [Theory]
    [InlineData("\"name\":\"h 1\",", "name must be letters")]
    [InlineData("\"rabbit_mq_url\":\"http://hoard:s3cret@10.0.0.1/\",", "rabbit_mq_url must be an amqp")]
    public void Load_RefusesABadNameOrBrokerUrl_WithoutQuotingThePassword(string replacement, string expected)
    {
        var key = replacement[..replacement.IndexOf(':', StringComparison.Ordinal)];
        var body = string.Join(",", Required.Split(',').Select(part => part.StartsWith(key, StringComparison.Ordinal) ? replacement.TrimEnd(',') : part));

        var refused = Assert.Throws<InvalidDataException>(() => HostAgentConfig.Load(Write("{" + body + "}")));

        Assert.Contains(expected, refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Measure_OffersTheConfiguredCapacity_AndNeverReportsMoreFreeThanThat()
    {
        var config = HostAgentConfig.Load(Write("{" + Required + ",\"ram_mb\":64,\"disk_gb\":1}"));
        var time = new ManualTime(DateTimeOffset.Parse("2026-12-01T08:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

        var report = new CapacityReporter(config, null!, time).Measure();

        Assert.Equal(("h-1", "10.0.0.5", 64L, 1L, time.Now), (report.Name, report.Address, report.RamMb, report.DiskGb, report.Sent));
        Assert.InRange(report.FreeRamMb, 1, 64);
        Assert.InRange(report.FreeDiskGb, 0, 1);
    }

    private string Write(string json)
    {
        var path = Path.Combine(_dir, "host-agent.json");
        File.WriteAllText(path, json.Replace("DIR", Path.Combine(_dir, "data"), StringComparison.Ordinal));
        return path;
    }
}

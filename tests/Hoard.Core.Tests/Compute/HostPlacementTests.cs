using Hoard.Core.Compute;

namespace Hoard.Core.Tests.Compute;

/// <summary>Where a new instance goes among the hosts of the <c>hosts</c> compute provider.</summary>
public sealed class HostPlacementTests
{
    private static readonly string[] NoPeers = [];

    [Fact]
    public void Choose_TakesTheUpHostWithTheMostFreeRam_ThatHasRoomForRamAndDisk()
    {
        HostCandidate[] hosts =
        [
            new("h1", Up: true, FreeRamMb: 2048, FreeDiskGb: 50),
            new("h2", Up: true, FreeRamMb: 8192, FreeDiskGb: 2),
            new("h3", Up: true, FreeRamMb: 4096, FreeDiskGb: 50),
            new("h4", Up: false, FreeRamMb: 16384, FreeDiskGb: 500),
        ];

        Assert.Equal("h3", HostPlacement.Choose(hosts, 1024, 5, null, NoPeers).Host);
        Assert.Equal("h2", HostPlacement.Choose(hosts, 1024, 2, null, NoPeers).Host);
    }

    [Fact]
    public void Choose_BreaksTiesByFreeDiskThenByName()
    {
        HostCandidate[] hosts = [new("h2", true, 4096, 10), new("h1", true, 4096, 10), new("h0", true, 4096, 5)];

        Assert.Equal("h1", HostPlacement.Choose(hosts, 512, 1, null, NoPeers).Host);
    }

    [Fact]
    public void Choose_SpreadsEqualHostsOneInstanceEach_WhenTheCallerSubtractsEachPlacement()
    {
        var hosts = new List<HostCandidate> { new("h1", true, 4096, 20), new("h2", true, 4096, 20), new("h3", true, 4096, 20) };
        var chosen = new List<string>();
        for (var n = 0; n < 3; n++)
        {
            var host = HostPlacement.Choose(hosts, 1024, 2, null, NoPeers).Host!;
            chosen.Add(host);
            var i = hosts.FindIndex(h => h.Name == host);
            hosts[i] = hosts[i] with { FreeRamMb = hosts[i].FreeRamMb - 1024, FreeDiskGb = hosts[i].FreeDiskGb - 2 };
        }

        Assert.Equal(["h1", "h2", "h3"], chosen);
    }

    [Fact]
    public void Choose_WithNoRoomAnywhere_SaysWhyForEachHost()
    {
        HostCandidate[] hosts = [new("h1", true, 256, 50), new("h2", false, 8192, 50), new("h3", true, 4096, 1)];

        var decision = HostPlacement.Choose(hosts, 1024, 5, null, NoPeers);

        Assert.Null(decision.Host);
        Assert.Equal("No host can take this instance: none that is up has room for 1024 MB of RAM and 5 GB of disk " +
                     "(h1 has 256 MB of RAM free; h2 is down; h3 has 1 GB of disk free).", decision.Reason);
    }

    [Fact]
    public void Choose_WithNoHostsAtAll_SaysNoAgentReported()
    {
        var decision = HostPlacement.Choose([], 512, 1, null, NoPeers);

        Assert.Null(decision.Host);
        Assert.Contains("no host agent has reported", decision.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(Locality.AntiAffinity)]
    [InlineData(Locality.SoftAntiAffinity)]
    public void Choose_AntiAffinity_AvoidsTheSetsHosts_EvenWhenTheyHaveMoreRoom(string locality)
    {
        HostCandidate[] hosts = [new("h1", true, 8192, 50), new("h2", true, 1024, 50), new("h3", true, 2048, 50)];

        Assert.Equal("h3", HostPlacement.Choose(hosts, 512, 1, locality, ["h1"]).Host);
        Assert.Equal("h2", HostPlacement.Choose(hosts, 512, 1, locality, ["h1", "h3"]).Host);
    }

    [Fact]
    public void Choose_HardAntiAffinity_FailsWhenOnlyTheSetsHostsHaveRoom_SoftFallsBack()
    {
        HostCandidate[] hosts = [new("h1", true, 8192, 50), new("h2", true, 256, 50), new("h3", false, 8192, 50)];

        var hard = HostPlacement.Choose(hosts, 512, 1, Locality.AntiAffinity, ["h1"]);
        Assert.Null(hard.Host);
        Assert.Equal("No host can take this instance: locality 'anti-affinity' keeps it off h1 (its replication set), and no other host " +
                     "has room for 512 MB of RAM and 1 GB of disk (h2 has 256 MB of RAM free; h3 is down).", hard.Reason);

        Assert.Equal("h1", HostPlacement.Choose(hosts, 512, 1, Locality.SoftAntiAffinity, ["h1"]).Host);
    }

    [Theory]
    [InlineData(Locality.Affinity)]
    [InlineData(Locality.SoftAffinity)]
    public void Choose_Affinity_KeepsTheInstanceWithItsSet_EvenWhereOthersHaveMoreRoom(string locality)
    {
        HostCandidate[] hosts = [new("h1", true, 8192, 50), new("h2", true, 1024, 50)];

        Assert.Equal("h2", HostPlacement.Choose(hosts, 512, 1, locality, ["h2"]).Host);
    }

    [Fact]
    public void Choose_HardAffinity_FailsWhenTheSetsHostIsFullOrDown_SoftFallsBack()
    {
        HostCandidate[] full = [new("h1", true, 8192, 50), new("h2", true, 256, 50)];
        var hard = HostPlacement.Choose(full, 512, 1, Locality.Affinity, ["h2"]);
        Assert.Null(hard.Host);
        Assert.Equal("No host can take this instance: locality 'affinity' keeps it with its replication set on h2, which has no room for " +
                     "512 MB of RAM and 1 GB of disk or is down (h2 has 256 MB of RAM free).", hard.Reason);
        Assert.Equal("h1", HostPlacement.Choose(full, 512, 1, Locality.SoftAffinity, ["h2"]).Host);

        HostCandidate[] down = [new("h1", true, 8192, 50), new("h2", false, 8192, 50)];
        Assert.Null(HostPlacement.Choose(down, 512, 1, Locality.Affinity, ["h2"]).Host);
    }

    [Fact]
    public void Choose_LocalityWithoutPeers_IsPlainMostFree()
    {
        HostCandidate[] hosts = [new("h1", true, 1024, 50), new("h2", true, 4096, 50)];

        Assert.Equal("h2", HostPlacement.Choose(hosts, 512, 1, Locality.Affinity, NoPeers).Host);
        Assert.Equal("h2", HostPlacement.Choose(hosts, 512, 1, Locality.AntiAffinity, NoPeers).Host);
    }

    [Theory]
    [InlineData("affinity", true)]
    [InlineData("soft-anti-affinity", true)]
    [InlineData("Affinity", false)]
    [InlineData("anti_affinity", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void Locality_IsValid_AcceptsTrovesFourValuesOnly(string? value, bool valid) => Assert.Equal(valid, Locality.IsValid(value));
}

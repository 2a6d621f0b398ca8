using System.Diagnostics;
using Hoard.Core.Compute;
using Hoard.Providers.Local;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hoard.Core.Tests.Providers;

public sealed class NftFirewallTests
{
    private const string MariaDb = "0b7e1f8c-3d0a-4c55-9a8e-5f1e2d3c4b5a";
    private const string Redis = "6a1c2b3d-4e5f-4061-8a9b-0c1d2e3f4a5b";

    [Fact]
    public void Render_Rules_OneSetAndOneRejectRulePerInstance_InATableReplacedAtomically()
    {
        var script = NftFirewall.Render("hoard_0123abcd",
        [
            new AccessRule(MariaDb, "127.100.0.2", 3306, [Ipv4Cidr.Parse("127.0.0.2/32"), Ipv4Cidr.Parse("10.0.0.0/8")]),
            new AccessRule(Redis, "127.100.0.3", 6379, [Ipv4Cidr.Parse("127.0.0.3")]),
        ]);

        Assert.Equal(
            """
            table inet hoard_0123abcd
            delete table inet hoard_0123abcd
            table inet hoard_0123abcd {
            	set allow_0b7e1f8c3d0a4c559a8e5f1e2d3c4b5a {
            		type ipv4_addr; flags interval; auto-merge;
            		elements = { 127.0.0.2/32, 10.0.0.0/8 }
            	}
            	set allow_6a1c2b3d4e5f40618a9b0c1d2e3f4a5b {
            		type ipv4_addr; flags interval; auto-merge;
            		elements = { 127.0.0.3/32 }
            	}
            	chain input {
            		type filter hook input priority filter; policy accept;
            		ip daddr 127.100.0.2 tcp dport 3306 ip saddr != @allow_0b7e1f8c3d0a4c559a8e5f1e2d3c4b5a reject with tcp reset comment "instance 0b7e1f8c-3d0a-4c55-9a8e-5f1e2d3c4b5a"
            		ip daddr 127.100.0.3 tcp dport 6379 ip saddr != @allow_6a1c2b3d4e5f40618a9b0c1d2e3f4a5b reject with tcp reset comment "instance 6a1c2b3d-4e5f-4061-8a9b-0c1d2e3f4a5b"
            	}
            }

            """.ReplaceLineEndings("\n"), script);
    }

    [Fact]
    public void Render_NoRules_LeavesTheTableDeleted_EvenIfItDidNotExist()
    {
        Assert.Equal("table inet hoard_0123abcd\ndelete table inet hoard_0123abcd\n", NftFirewall.Render("hoard_0123abcd", []));
    }

    [Theory]
    [InlineData("not-a-guid", "127.100.0.2", 3306)]
    [InlineData(MariaDb, "127.100.0.2; flush ruleset", 3306)]
    [InlineData(MariaDb, "::1", 3306)]
    [InlineData(MariaDb, "127.100.0.2", 0)]
    [InlineData(MariaDb, "127.100.0.2", 65536)]
    public void Render_ValueThatCannotBeARule_Throws(string id, string address, int port) =>
        Assert.Throws<ArgumentException>(() => NftFirewall.Render("t", [new AccessRule(id, address, port, [Ipv4Cidr.Parse("127.0.0.2")])]));

    [Fact]
    public void Render_RuleWithoutAllowedNetworks_Throws() =>
        Assert.Throws<ArgumentException>(() => NftFirewall.Render("t", [new AccessRule(MariaDb, "127.100.0.2", 3306, [])]));

    [Fact]
    public void TableName_IsStablePerDataDir_AndDiffersBetweenDataDirs()
    {
        Assert.Equal(NftFirewall.TableName("/var/lib/hoard"), NftFirewall.TableName("/var/lib/hoard/"));
        Assert.NotEqual(NftFirewall.TableName("/var/lib/hoard"), NftFirewall.TableName("/tmp/hoard-it-1"));
        Assert.Matches("^hoard_[0-9a-f]{8}$", NftFirewall.TableName("/var/lib/hoard"));
    }

    [NftFact]
    public async Task ReplaceAll_OnTheHost_InstallsExactlyTheRules_ThenRemovesTheTable()
    {
        var firewall = new NftFirewall(new LocalOptions { DataDir = $"/tmp/hoard-nft-test-{Guid.NewGuid():N}", BusSocket = "unused" },
            NullLogger<NftFirewall>.Instance);
        try
        {
            await firewall.ReplaceAllAsync([new AccessRule(MariaDb, "127.100.0.2", 3306, [Ipv4Cidr.Parse("127.0.0.2")])], CancellationToken.None);
            var listed = await ListTableAsync(firewall.Table);
            Assert.Contains($"instance {MariaDb}", listed, StringComparison.Ordinal);
            Assert.Contains("127.0.0.2", listed, StringComparison.Ordinal);

            await firewall.ReplaceAllAsync([new AccessRule(Redis, "127.100.0.3", 6379, [Ipv4Cidr.Parse("10.0.0.0/8")])], CancellationToken.None);
            listed = await ListTableAsync(firewall.Table);
            Assert.DoesNotContain(MariaDb, listed, StringComparison.Ordinal);
            Assert.Contains($"instance {Redis}", listed, StringComparison.Ordinal);

            await firewall.ReplaceAllAsync([], CancellationToken.None);
            Assert.Null(await ListTableAsync(firewall.Table));
        }
        finally
        {
            await firewall.ReplaceAllAsync([], CancellationToken.None);
        }
    }

    /// <summary>The table as nft lists it, or null when it does not exist.</summary>
    private static async Task<string?> ListTableAsync(string table)
    {
        var start = new ProcessStartInfo("/usr/sbin/nft", ["list", "table", "inet", table])
        {
            RedirectStandardOutput = true, RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return process.ExitCode == 0 ? output : null;
    }
}

using Hoard.Core.Compute;
using Hoard.Core.Instances;

namespace Hoard.Core.Tests.Compute;

public sealed class AllowedCidrsTests
{
    [Theory]
    [InlineData("127.0.0.2/32", "127.0.0.2/32")]
    [InlineData("127.0.0.2", "127.0.0.2/32")]
    [InlineData("10.0.0.0/8", "10.0.0.0/8")]
    [InlineData("0.0.0.0/0", "0.0.0.0/0")]
    [InlineData("192.168.1.128/25", "192.168.1.128/25")]
    [InlineData("255.255.255.255/32", "255.255.255.255/32")]
    public void Parse_ValidCidr_IsNormalised(string text, string expected) =>
        Assert.Equal(expected, Ipv4Cidr.Parse(text).ToString());

    [Theory]
    [InlineData("")]
    [InlineData("127.0.0")]
    [InlineData("127.0.0.1.5")]
    [InlineData("256.0.0.0/8")]
    [InlineData("127.0.0.1/33")]
    [InlineData("127.0.0.1/-1")]
    [InlineData("127.0.0.1/")]
    [InlineData("127.0.0.1/032")]
    [InlineData("010.0.0.0/8")]
    [InlineData("127.0.0.+1/32")]
    [InlineData(" 127.0.0.1/32")]
    [InlineData("127.0.0.1/32 ")]
    [InlineData("::1/128")]
    [InlineData("fe80::/10")]
    [InlineData("127.0.0.1/8/8")]
    [InlineData("localhost")]
    [InlineData("１２７.0.0.1/32")]
    public void Parse_NotAnIpv4Cidr_IsRefused(string text)
    {
        Assert.False(Ipv4Cidr.TryParse(text, out _, out var error));
        Assert.Contains("not an IPv4 CIDR", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_HostBitsSet_IsRefusedNamingTheNetwork()
    {
        Assert.False(Ipv4Cidr.TryParse("10.1.2.3/8", out _, out var error));
        Assert.Contains("host bits set", error, StringComparison.Ordinal);
        Assert.Contains("10.0.0.0/8", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Contains_MatchesOnlyAddressesInTheNetwork()
    {
        var cidr = Ipv4Cidr.Parse("127.0.0.0/30");
        Assert.True(cidr.Contains(0x7F000003));
        Assert.False(cidr.Contains(0x7F000004));
        Assert.True(Ipv4Cidr.Parse("0.0.0.0/0").Contains(0xC0A80101));
    }

    [Fact]
    public void List_KeepsOrder_AndRoundTripsThroughItsStoredForm()
    {
        var parsed = AllowedCidrs.Parse(["127.0.0.3", "10.0.0.0/8"]);
        var stored = AllowedCidrs.ToStored(parsed);

        Assert.Equal("127.0.0.3/32,10.0.0.0/8", stored);
        Assert.Equal(parsed, AllowedCidrs.FromStored(stored));
    }

    [Fact]
    public void List_Empty_OrHoldingEveryone_IsUnrestricted()
    {
        Assert.Empty(AllowedCidrs.Parse([]));
        Assert.Empty(AllowedCidrs.Parse(["127.0.0.2/32", "0.0.0.0/0"]));
        Assert.Null(AllowedCidrs.ToStored([]));
        Assert.Empty(AllowedCidrs.FromStored(null));
    }

    [Theory]
    [InlineData("127.0.0.2/32", "127.0.0.2/32")]
    [InlineData("127.0.0.2", "127.0.0.2/32")]
    public void List_Duplicate_IsRefused(string first, string second)
    {
        var e = Assert.Throws<FormatException>(() => AllowedCidrs.Parse([first, second]));
        Assert.Contains("more than once", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void List_OverTheLimit_IsRefused_AtTheLimitAccepted()
    {
        var atLimit = Enumerable.Range(1, AllowedCidrs.MaxEntries).Select(i => $"10.0.{i}.0/24").ToList();
        Assert.Equal(AllowedCidrs.MaxEntries, AllowedCidrs.Parse(atLimit).Count);

        var e = Assert.Throws<FormatException>(() => AllowedCidrs.Parse([.. atLimit, "10.1.0.0/16"]));
        Assert.Contains($"at most {AllowedCidrs.MaxEntries}", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void List_OneBadEntry_NamesIt()
    {
        var e = Assert.Throws<FormatException>(() => AllowedCidrs.Parse(["127.0.0.2/32", "127.0.0.300/32"]));
        Assert.Contains("127.0.0.300/32", e.Message, StringComparison.Ordinal);
    }
}

using Hoard.Providers.Local;

namespace Hoard.Core.Tests.Providers;

/// <summary>A host agent's address pool as its config file writes it.</summary>
public sealed class AddressPoolsTests
{
    [Fact]
    public void Expand_ListsAddressesAndLastOctetRanges_InOrder_WithoutDuplicates()
    {
        Assert.Equal(["10.231.0.20", "10.231.0.10", "10.231.0.11", "10.231.0.12"],
            AddressPools.Expand(["10.231.0.20", " 10.231.0.10-10.231.0.12 ", "10.231.0.11"]));
    }

    [Theory]
    [InlineData("10.231.0.300")]
    [InlineData("::1")]
    [InlineData("10.231.0.12-10.231.0.10")]
    [InlineData("10.231.0.10-10.231.1.12")]
    [InlineData("host-a")]
    public void Expand_RefusesWhatIsNotAnIpv4AddressOrAnUpwardLastOctetRange(string entry) =>
        Assert.Throws<InvalidDataException>(() => AddressPools.Expand([entry]));
}

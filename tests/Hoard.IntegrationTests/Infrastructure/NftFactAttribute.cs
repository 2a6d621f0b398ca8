namespace Hoard.IntegrationTests.Infrastructure;

/// <summary>
/// A test that needs hoard-server to enforce allowed_cidrs through nftables: skipped, saying why, where it cannot (not
/// root, or no <c>nft</c>), and with <c>HOARD_TEST_NO_NFT=1</c>.
/// </summary>
public sealed class NftFactAttribute : FactAttribute
{
    public NftFactAttribute() => Skip = NftTable.SkipReason;
}

/// <summary><see cref="NftFactAttribute"/> for theories.</summary>
public sealed class NftTheoryAttribute : TheoryAttribute
{
    public NftTheoryAttribute() => Skip = NftTable.SkipReason;
}

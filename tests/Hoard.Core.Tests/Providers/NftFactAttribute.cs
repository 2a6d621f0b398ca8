namespace Hoard.Core.Tests.Providers;

/// <summary>
/// A test that changes the host's nftables rules: skipped, saying why, where hoard-server could not either (not
/// root, or no <c>nft</c>), and with <c>HOARD_TEST_NO_NFT=1</c>.
/// </summary>
public sealed class NftFactAttribute : FactAttribute
{
    public NftFactAttribute()
    {
        Skip = Environment.GetEnvironmentVariable("HOARD_TEST_NO_NFT") == "1" ? "HOARD_TEST_NO_NFT=1: nftables rules are not tested on this machine."
            : Environment.UserName != "root" ? "Not root: nftables rules cannot be changed."
            : !File.Exists("/usr/sbin/nft") ? "nft is not installed (Debian package nftables)."
            : null;
    }
}

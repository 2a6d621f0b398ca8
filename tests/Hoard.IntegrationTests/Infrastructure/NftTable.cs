using System.Security.Cryptography;
using System.Text;

namespace Hoard.IntegrationTests.Infrastructure;

/// <summary>A Hoard server's nftables table, named as the server names it: <c>inet hoard_</c> + 8 hex of SHA-256(data dir).</summary>
internal static class NftTable
{
    private const string Nft = "/usr/sbin/nft";

    public static string? SkipReason =>
        Environment.GetEnvironmentVariable("HOARD_TEST_NO_NFT") == "1" ? "HOARD_TEST_NO_NFT=1: nftables rules are not tested on this machine."
        : Environment.UserName != "root" ? "Not root: hoard-server cannot enforce allowed_cidrs with nftables."
        : !File.Exists(Nft) ? "nft is not installed (Debian package nftables): hoard-server cannot enforce allowed_cidrs."
        : null;

    public static string Name(string dataDir) =>
        "hoard_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(dataDir).TrimEnd('/'))))[..8];

    /// <summary>The table as <c>nft list table</c> prints it, or null when it does not exist.</summary>
    public static async Task<string?> ListAsync(string dataDir)
    {
        var result = await ProcessRunner.RunAsync(Nft, ["list", "table", "inet", Name(dataDir)]);
        return result.Succeeded ? result.Stdout : null;
    }

    /// <summary>Best effort, for cleanup: rules of a server that is gone must not guard addresses a later server reuses.</summary>
    public static async Task DeleteAsync(string dataDir)
    {
        if (SkipReason is null)
        {
            await ProcessRunner.RunAsync(Nft, ["delete", "table", "inet", Name(dataDir)]);
        }
    }
}

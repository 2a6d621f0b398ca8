using Hoard.Core.Compute;
using Microsoft.Extensions.Logging;

namespace Hoard.Providers.Local;

/// <summary>Chooses the network access provider from the <c>NetworkAccessProvider</c> setting: <c>auto</c>, <c>nftables</c> or <c>none</c>.</summary>
public static partial class NetworkAccessSelection
{
    public const string Auto = "auto";

    public static INetworkAccessProvider Create(string? setting, LocalOptions options, ILoggerFactory loggers)
    {
        var logger = loggers.CreateLogger(typeof(NetworkAccessSelection).FullName!);
        switch ((setting ?? Auto).Trim().ToLowerInvariant())
        {
            case UnenforcedNetworkAccess.ProviderName:
                LogChosen(logger, UnenforcedNetworkAccess.ProviderName, "configured; allowed_cidrs are refused");
                return new UnenforcedNetworkAccess("NetworkAccessProvider is set to 'none' on this Hoard server");
            case NftFirewall.ProviderName:
                if (NftUnavailableReason() is { } reason)
                {
                    throw new InvalidOperationException($"NetworkAccessProvider is 'nftables', but nftables cannot be used here: {reason}.");
                }

                LogChosen(logger, NftFirewall.ProviderName, "configured");
                return new NftFirewall(options, loggers.CreateLogger<NftFirewall>());
            case Auto:
                if (NftUnavailableReason() is { } why)
                {
                    LogFallback(logger, why);
                    return new UnenforcedNetworkAccess($"no packet filter is usable on this host: {why}");
                }

                LogChosen(logger, NftFirewall.ProviderName, "auto: running as root and nft works");
                return new NftFirewall(options, loggers.CreateLogger<NftFirewall>());
            default:
                throw new InvalidOperationException($"NetworkAccessProvider '{setting}' is unknown; use auto, nftables or none.");
        }
    }

    /// <summary>Null when nft can change this host's rules; proven by listing them (a container may lack the capability).</summary>
    public static string? NftUnavailableReason()
    {
        if (!Posix.IsRoot)
        {
            return "hoard-server does not run as root";
        }

        if (HostTool.Find("nft") is null)
        {
            return "'nft' is not installed (Debian package nftables)";
        }

        var (exitCode, stderr) = NftFirewall.RunAsync(["list", "tables"], "", CancellationToken.None).GetAwaiter().GetResult();
        return exitCode == 0 ? null : $"'nft list tables' failed (exit {exitCode}): {stderr}";
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Network access: {Provider} ({Why})")]
    private static partial void LogChosen(ILogger logger, string provider, string why);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Network access: none (requests to restrict allowed_cidrs are refused): nftables is not usable because {Reason}")]
    private static partial void LogFallback(ILogger logger, string reason);
}

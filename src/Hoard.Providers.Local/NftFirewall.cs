using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Hoard.Core.Compute;
using Microsoft.Extensions.Logging;

namespace Hoard.Providers.Local;

/// <summary>
/// Allowed networks through nftables. Each Hoard server owns one table, <c>inet hoard_</c> + 8 hex digits of the
/// SHA-256 of its data dir, so servers sharing a host never touch each other's rules. The table's input-hook chain
/// holds one rule per restricted instance: TCP to the instance's address and port from outside its set of allowed
/// networks is answered with a reset (a refusal the client sees at once, where a dropped SYN would hang it).
/// Loopback traffic passes the input hook too. Every change replaces the whole table in one nft transaction.
/// </summary>
public sealed partial class NftFirewall(LocalOptions options, ILogger<NftFirewall> logger) : INetworkAccessProvider
{
    public const string ProviderName = "nftables";

    public string Name => ProviderName;

    public string? UnavailableReason => null;

    /// <summary>The name of this server's table (family <c>inet</c>).</summary>
    public string Table { get; } = TableName(options.DataDir);

    public static string TableName(string dataDir) =>
        "hoard_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(dataDir).TrimEnd('/'))))[..8];

    public async Task ReplaceAllAsync(IReadOnlyList<AccessRule> rules, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var (exitCode, stderr) = await RunAsync(["-f", "-"], Render(Table, rules), cancellationToken);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"nft refused the rules for table inet {Table} (exit {exitCode}): {stderr}");
        }

        LogReplaced(Table, rules.Count, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    /// <summary>
    /// An nft script that replaces <paramref name="table"/> with <paramref name="rules"/> as one transaction. The
    /// leading <c>table</c> line creates the table if it is missing, so that the <c>delete</c> cannot fail; with no
    /// rules the table is left deleted.
    /// </summary>
    public static string Render(string table, IReadOnlyList<AccessRule> rules)
    {
        var script = new StringBuilder();
        script.Append("table inet ").Append(table).Append('\n');
        script.Append("delete table inet ").Append(table).Append('\n');
        if (rules.Count == 0)
        {
            return script.ToString();
        }

        var sets = new StringBuilder();
        var chain = new StringBuilder();
        foreach (var rule in rules)
        {
            // Only checked values reach the script: the id as a GUID, the address as an IPv4 address, networks as parsed.
            if (!Guid.TryParse(rule.InstanceId, out var id))
            {
                throw new ArgumentException($"Instance id '{rule.InstanceId}' is not a GUID.");
            }

            var set = "allow_" + id.ToString("N");
            if (!IPAddress.TryParse(rule.Address, out var address) || address.AddressFamily != AddressFamily.InterNetwork)
            {
                throw new ArgumentException($"Instance {id} has no IPv4 address ('{rule.Address}'): nftables rules cover IPv4 instances only.");
            }

            if (rule.Port is < 1 or > 65535 || rule.Allowed.Count == 0)
            {
                throw new ArgumentException($"Instance {id}: port {rule.Port} or its empty list of allowed networks cannot make a rule.");
            }

            sets.Append("\tset ").Append(set).Append(" {\n\t\ttype ipv4_addr; flags interval; auto-merge;\n\t\telements = { ")
                .AppendJoin(", ", rule.Allowed).Append(" }\n\t}\n");
            chain.Append(CultureInfo.InvariantCulture,
                $"\t\tip daddr {address} tcp dport {rule.Port} ip saddr != @{set} reject with tcp reset comment \"instance {id}\"\n");
        }

        script.Append("table inet ").Append(table).Append(" {\n").Append(sets)
            .Append("\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n").Append(chain).Append("\t}\n}\n");
        return script.ToString();
    }

    /// <summary>Runs nft with <paramref name="input"/> on its standard input (never through a shell or in its arguments).</summary>
    internal static async Task<(int ExitCode, string Stderr)> RunAsync(IReadOnlyList<string> arguments, string input,
        CancellationToken cancellationToken)
    {
        var path = HostTool.Find("nft") ?? throw new InvalidOperationException("'nft' is not installed (Debian package nftables).");
        var start = new ProcessStartInfo(path)
        {
            UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["LC_ALL"] = "C";
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{path} did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            try
            {
                await process.StandardInput.WriteAsync(input.AsMemory(), cancellationToken);
                process.StandardInput.Close();
            }
            catch (IOException)
            {
                // nft exited before reading all of its input; its exit code and message say why.
            }

            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw;
        }

        await stdout;
        return (process.ExitCode, (await stderr).Trim());
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "nftables table inet {Table}: {Rules} instance rules in force ({Milliseconds:0.0} ms)")]
    private partial void LogReplaced(string table, int rules, double milliseconds);
}

using System.Diagnostics;
using System.Globalization;

namespace Hoard.IntegrationTests.Infrastructure;

/// <summary>
/// Machines simulated on this one: a bridge with an address on a private /24 picked per run (10.231.x.0/24, one not
/// already in use here), and per host a network namespace <c>hoardh&lt;n&gt;-&lt;run&gt;</c> with a veth on the bridge,
/// its own address (.10n) and a pool of four more for its instances (.10n+1 … .10n+4). Every name carries the run's
/// suffix, and <see cref="Dispose"/> kills whatever runs in the namespaces and removes them and the bridge, also after a
/// failed set-up.
/// </summary>
internal sealed class SimulatedHosts : IDisposable
{
    private readonly string _run = Guid.NewGuid().ToString("N")[..5];
    private readonly List<string> _namespaces = [];
    private bool _bridge;

    public SimulatedHosts(int count)
    {
        Subnet = FreeSubnet();
        try
        {
            Ip("link", "add", Bridge, "type", "bridge");
            _bridge = true;
            Ip("addr", "add", $"{BridgeAddress}/24", "dev", Bridge);
            Ip("link", "set", Bridge, "up");
            for (var n = 1; n <= count; n++)
            {
                var ns = Namespace(n);
                Ip("netns", "add", ns);
                _namespaces.Add(ns);
                var (outside, inside) = ($"hv{_run}{n}", $"hn{_run}{n}");
                Ip("link", "add", outside, "type", "veth", "peer", "name", inside);
                Ip("link", "set", inside, "netns", ns);
                Ip("link", "set", outside, "master", Bridge);
                Ip("link", "set", outside, "up");
                foreach (var address in Pool(n).Prepend(HostAddress(n)))
                {
                    Ip("-n", ns, "addr", "add", $"{address}/24", "dev", inside);
                }

                Ip("-n", ns, "link", "set", inside, "up");
                Ip("-n", ns, "link", "set", "lo", "up");
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Null where the simulation cannot run here (not root, or no ip/nsenter).</summary>
    public static string? SkipReason { get; } =
        Environment.GetEnvironmentVariable("HOARD_TEST_NO_NETNS") == "1" ? "HOARD_TEST_NO_NETNS=1"
        : !Environment.IsPrivilegedProcess ? "network namespaces need root"
        : !File.Exists("/usr/bin/nsenter") && !File.Exists("/bin/nsenter") ? "nsenter (util-linux) is not installed"
        : !File.Exists("/usr/sbin/ip") && !File.Exists("/sbin/ip") && !File.Exists("/usr/bin/ip") ? "ip (iproute2) is not installed"
        : null;

    /// <summary>The third octet of 10.231.x.0/24.</summary>
    public int Subnet { get; }

    public string Bridge => $"hbr{_run}";

    public string BridgeAddress => $"10.231.{Subnet}.1";

    public string Namespace(int n) => $"hoardh{n}-{_run}";

    public string HostAddress(int n) => $"10.231.{Subnet}.{10 * n}";

    public IReadOnlyList<string> Pool(int n) => [.. Enumerable.Range(10 * n + 1, 4).Select(last => $"10.231.{Subnet}.{last}")];

    /// <summary>The pids of every process in the host's namespace (<c>ip netns pids</c>).</summary>
    public IReadOnlyList<int> Processes(int n) =>
        [.. Run("ip", ["netns", "pids", Namespace(n)], check: false).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => int.Parse(p.Trim(), CultureInfo.InvariantCulture))];

    /// <summary>The host dies: SIGKILL to every process in its namespace, until none is left.</summary>
    public void Kill(int n)
    {
        var watch = Stopwatch.StartNew();
        while (Processes(n) is { Count: > 0 } pids && watch.Elapsed < TimeSpan.FromSeconds(15))
        {
            foreach (var pid in pids)
            {
                try
                {
                    using var process = Process.GetProcessById(pid);
                    process.Kill();
                }
                catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
                {
                }
            }

            Thread.Sleep(50);
        }
    }

    public void Dispose()
    {
        for (var n = 1; n <= _namespaces.Count; n++)
        {
            Kill(n);
        }

        foreach (var ns in _namespaces)
        {
            Run("ip", ["netns", "del", ns], check: false);
        }

        _namespaces.Clear();
        if (_bridge)
        {
            Run("ip", ["link", "del", Bridge], check: false);
            _bridge = false;
        }
    }

    /// <summary>A 10.231.x.0/24 no address or route of this machine is in.</summary>
    private static int FreeSubnet()
    {
        var used = Run("ip", ["-4", "addr"], check: true) + Run("ip", ["-4", "route"], check: true);
        foreach (var x in Enumerable.Range(0, 256).OrderBy(_ => Random.Shared.Next()))
        {
            if (!used.Contains($"10.231.{x}.", StringComparison.Ordinal) && !used.Contains("10.231.0.0/16", StringComparison.Ordinal))
            {
                return x;
            }
        }

        throw new InvalidOperationException("No free 10.231.x.0/24 on this machine.");
    }

    private static void Ip(params string[] arguments) => Run("ip", arguments, check: true);

    private static string Run(string file, string[] arguments, bool check)
    {
        var start = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start.");
        var stdout = process.StandardOutput.ReadToEnd();
        var stderr = process.StandardError.ReadToEnd();
        if (!process.WaitForExit(30_000))
        {
            process.Kill();
            throw new TimeoutException($"{file} {string.Join(' ', arguments)} did not finish within 30 s.");
        }

        if (check && process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} failed ({process.ExitCode}): {stderr}");
        }

        return stdout;
    }
}

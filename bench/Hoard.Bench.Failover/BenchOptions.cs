using System.Globalization;
using System.Reflection;

namespace Hoard.Bench.Failover;

/// <summary>Command-line options: <c>--runs N</c>, <c>--rate N</c>, <c>--datastores LIST</c>, <c>--synchronous</c>, <c>--keep</c>, <c>--server PATH</c>.</summary>
/// <param name="Runs">Failovers per datastore (and as many crash-restarts of the by-hand baseline).</param>
/// <param name="Rate">The writer's pace, writes per second (0: as fast as they are answered).</param>
/// <param name="Synchronous">Make each set synchronous (PUT /instances/{id}/replication) before the runs; Redis has no such mode.</param>
internal sealed record BenchOptions(int Runs, int Rate, IReadOnlyList<string> Datastores, bool Keep, string ServerDll, bool Synchronous = false)
{
    public const string Usage =
        "usage: hoard-bench-failover [--runs N] [--rate N] [--datastores mariadb,postgresql,redis] [--synchronous] [--keep] [--server path/to/hoard-server.dll]";

    public static BenchOptions Parse(string[] args)
    {
        var runs = 10;
        var rate = 1000;
        IReadOnlyList<string> datastores = [.. FailoverDatastore.All.Select(d => d.Type)];
        var keep = false;
        var synchronous = false;
        var datastoresGiven = false;
        string? server = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--runs" when i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0:
                    runs = n;
                    i++;
                    break;
                case "--rate" when i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var r):
                    rate = r;
                    i++;
                    break;
                case "--datastores" when i + 1 < args.Length:
                    datastores = ParseDatastores(args[++i]);
                    datastoresGiven = true;
                    break;
                case "--synchronous":
                    synchronous = true;
                    break;
                case "--keep":
                    keep = true;
                    break;
                case "--server" when i + 1 < args.Length:
                    server = Path.GetFullPath(args[++i]);
                    break;
                default:
                    throw new ArgumentException($"Unknown or incomplete argument '{args[i]}'.\n{Usage}");
            }
        }

        if (synchronous && datastores.Contains("redis"))
        {
            if (datastoresGiven)
                throw new ArgumentException($"Redis has no synchronous replication: leave it out of --datastores with --synchronous.\n{Usage}");
            datastores = [.. datastores.Where(d => d != "redis")];
        }

        return new BenchOptions(runs, rate, datastores, keep, server ?? BuiltServerDll(), synchronous);
    }

    /// <summary>A comma-separated list, measured in the bench's fixed order whatever the list's order.</summary>
    private static IReadOnlyList<string> ParseDatastores(string list)
    {
        var names = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var all = FailoverDatastore.All.Select(d => d.Type).ToList();
        var unknown = names.FirstOrDefault(name => !all.Contains(name));
        if (unknown is not null || names.Length == 0)
            throw new ArgumentException($"Unknown datastore '{unknown ?? list}': use one or more of {string.Join(',', all)}.\n{Usage}");
        return [.. all.Where(names.Contains)];
    }

    /// <summary>The hoard-server.dll that the project reference built in this configuration.</summary>
    private static string BuiltServerDll() =>
        typeof(BenchOptions).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "HoardServerDll")?.Value
        ?? throw new InvalidOperationException("The bench was built without the HoardServerDll metadata; pass --server.");
}

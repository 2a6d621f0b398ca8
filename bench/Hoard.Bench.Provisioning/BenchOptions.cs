using System.Globalization;
using System.Reflection;

namespace Hoard.Bench.Provisioning;

/// <summary>Command-line options: <c>--runs N</c>, <c>--soak N</c>, <c>--datastores LIST</c>, <c>--keep</c>, <c>--server PATH</c>.</summary>
/// <param name="SoakCycles">With <c>--soak N</c>: N create/delete cycles and a leak count instead of the by-hand comparison.</param>
internal sealed record BenchOptions(int Runs, IReadOnlyList<DatastoreSpec> Datastores, bool Keep, string ServerDll, int? SoakCycles = null)
{
    public const string Usage =
        "usage: hoard-bench-provisioning [--runs N | --soak N] [--datastores mariadb,postgresql,redis] [--keep] [--server path/to/hoard-server.dll]";

    public static BenchOptions Parse(string[] args)
    {
        var runs = 5;
        IReadOnlyList<DatastoreSpec> datastores = DatastoreSpec.All;
        var keep = false;
        string? server = null;
        int? soak = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--runs" when i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0:
                    runs = n;
                    i++;
                    break;
                case "--soak" when i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var cycles) && cycles > 0:
                    soak = cycles;
                    i++;
                    break;
                case "--datastores" when i + 1 < args.Length:
                    datastores = ParseDatastores(args[++i]);
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

        return new BenchOptions(runs, datastores, keep, server ?? BuiltServerDll(), soak);
    }

    /// <summary>A comma-separated list of datastore types, measured in the bench's fixed order whatever the list's order.</summary>
    private static IReadOnlyList<DatastoreSpec> ParseDatastores(string list)
    {
        var names = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var unknown = names.FirstOrDefault(name => DatastoreSpec.All.All(d => d.Type != name));
        if (unknown is not null || names.Length == 0)
        {
            throw new ArgumentException(
                $"Unknown datastore '{unknown ?? list}': use one or more of {string.Join(',', DatastoreSpec.All.Select(d => d.Type))}.\n{Usage}");
        }

        return [.. DatastoreSpec.All.Where(d => names.Contains(d.Type))];
    }

    /// <summary>The hoard-server.dll that the project reference built in this configuration.</summary>
    private static string BuiltServerDll() =>
        typeof(BenchOptions).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "HoardServerDll")?.Value
        ?? throw new InvalidOperationException("The bench was built without the HoardServerDll metadata; pass --server.");
}

using System.Globalization;
using System.Reflection;

namespace Hoard.Bench.Backup;

/// <summary>Command-line options: <c>--runs N</c>, <c>--size-mb N</c>, <c>--datastores LIST</c>, <c>--keep</c>, <c>--server PATH</c>.</summary>
/// <param name="SizeMb">The dataset to load, in MB of table files (10⁶ bytes).</param>
internal sealed record BenchOptions(int Runs, int SizeMb, IReadOnlyList<string> Datastores, bool Keep, string ServerDll)
{
    public static readonly IReadOnlyList<string> AllDatastores = ["mariadb", "postgresql"];

    public const string Usage =
        "usage: hoard-bench-backup [--runs N] [--size-mb N] [--datastores mariadb,postgresql] [--keep] [--server path/to/hoard-server.dll]";

    public static BenchOptions Parse(string[] args)
    {
        var runs = 3;
        var sizeMb = 1000;
        IReadOnlyList<string> datastores = AllDatastores;
        var keep = false;
        string? server = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--runs" when i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0:
                    runs = n;
                    i++;
                    break;
                case "--size-mb" when i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var mb) && mb >= 10:
                    sizeMb = mb;
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

        return new BenchOptions(runs, sizeMb, datastores, keep, server ?? BuiltServerDll());
    }

    /// <summary>A comma-separated list, measured in the bench's fixed order whatever the list's order.</summary>
    private static IReadOnlyList<string> ParseDatastores(string list)
    {
        var names = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var unknown = names.FirstOrDefault(name => !AllDatastores.Contains(name));
        if (unknown is not null || names.Length == 0)
            throw new ArgumentException($"Unknown datastore '{unknown ?? list}': use one or more of {string.Join(',', AllDatastores)}.\n{Usage}");
        return [.. AllDatastores.Where(names.Contains)];
    }

    /// <summary>The hoard-server.dll that the project reference built in this configuration.</summary>
    private static string BuiltServerDll() =>
        typeof(BenchOptions).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "HoardServerDll")?.Value
        ?? throw new InvalidOperationException("The bench was built without the HoardServerDll metadata; pass --server.");
}

using System.Globalization;
using System.Reflection;

namespace Hoard.Bench.Provisioning;

/// <summary>Command-line options: <c>--runs N</c>, <c>--keep</c>, <c>--server PATH</c>.</summary>
internal sealed record BenchOptions(int Runs, bool Keep, string ServerDll)
{
    public const string Usage = "usage: hoard-bench-provisioning [--runs N] [--keep] [--server path/to/hoard-server.dll]";

    public static BenchOptions Parse(string[] args)
    {
        var runs = 5;
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

        return new BenchOptions(runs, keep, server ?? BuiltServerDll());
    }

    /// <summary>The hoard-server.dll that the project reference built in this configuration.</summary>
    private static string BuiltServerDll() =>
        typeof(BenchOptions).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "HoardServerDll")?.Value
        ?? throw new InvalidOperationException("The bench was built without the HoardServerDll metadata; pass --server.");
}

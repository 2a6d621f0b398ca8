using System.Globalization;
using System.Reflection;

namespace Hoard.Bench.Scale;

/// <summary>Command-line options of the scale bench; <c>--quick</c> shortens every timed phase to fit in a minute.</summary>
/// <param name="Instances">Instances seeded into the state DB.</param>
/// <param name="Projects">How many projects the spread scenario shares them among (the other scenario puts all in one).</param>
/// <param name="Clients">Concurrent HTTP clients (keep-alive connections) of the list load.</param>
/// <param name="Duration">How long each list load runs, after its warm-up.</param>
/// <param name="Rounds">Heartbeat rounds: in each, every simulated guest sends one heartbeat.</param>
/// <param name="RabbitMq">Also measure the heartbeats over a private RabbitMQ broker (hoard-server restarted with <c>Hoard:Bus=rabbitmq</c>).</param>
internal sealed record ScaleOptions(
    int Instances, int Projects, int Clients, TimeSpan Duration, int Rounds, bool Quick, bool Keep, string ServerDll, bool RabbitMq = false)
{
    public const string Usage =
        "usage: hoard-bench-scale [--quick] [--instances N] [--projects N] [--clients N] [--seconds N] [--rounds N] [--rabbitmq] [--keep] [--server path/to/hoard-server.dll]";

    /// <summary>Each list load first runs this long untimed (connections opened, JIT and caches warm).</summary>
    public TimeSpan WarmUp => Quick ? TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(3);

    /// <summary>How long hoard-server is left alone before its idle memory is read.</summary>
    public TimeSpan Settle => Quick ? TimeSpan.FromSeconds(2) : TimeSpan.FromSeconds(10);

    /// <summary>Hoard and the baseline are measured in turn this many times each (the median is reported).</summary>
    public int Repeats => Quick ? 1 : 3;

    public static ScaleOptions Parse(string[] args)
    {
        var quick = args.Contains("--quick");
        int instances = 1000, projects = 10, clients = 16;
        var seconds = quick ? 2 : 10;
        var rounds = quick ? 3 : 20;
        var keep = false;
        var rabbitMq = false;
        string? server = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--quick":
                    break;
                case "--instances":
                    instances = Positive(args, ++i);
                    break;
                case "--projects":
                    projects = Positive(args, ++i);
                    break;
                case "--clients":
                    clients = Positive(args, ++i);
                    break;
                case "--seconds":
                    seconds = Positive(args, ++i);
                    break;
                case "--rounds":
                    rounds = Positive(args, ++i);
                    break;
                case "--keep":
                    keep = true;
                    break;
                case "--rabbitmq":
                    rabbitMq = true;
                    break;
                case "--server" when i + 1 < args.Length:
                    server = Path.GetFullPath(args[++i]);
                    break;
                default:
                    throw new ArgumentException($"Unknown or incomplete argument '{args[i]}'.\n{Usage}");
            }
        }

        if (projects > instances)
            throw new ArgumentException($"--projects ({projects}) cannot exceed --instances ({instances}).\n{Usage}");
        if (instances > 60000)
            throw new ArgumentException($"--instances is at most 60000 (each takes a loopback address 127.100.x.y).\n{Usage}");
        return new ScaleOptions(instances, projects, clients, TimeSpan.FromSeconds(seconds), rounds, quick, keep, server ?? BuiltServerDll(), rabbitMq);
    }

    private static int Positive(string[] args, int i) =>
        i < args.Length && int.TryParse(args[i], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n
            : throw new ArgumentException($"'{args[i - 1]}' needs a positive whole number.\n{Usage}");

    /// <summary>The hoard-server.dll that the project reference built in this configuration.</summary>
    private static string BuiltServerDll() =>
        typeof(ScaleOptions).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "HoardServerDll")?.Value
        ?? throw new InvalidOperationException("The bench was built without the HoardServerDll metadata; pass --server.");
}

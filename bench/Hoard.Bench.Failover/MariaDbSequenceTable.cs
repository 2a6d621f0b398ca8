using System.Globalization;
using Hoard.Bench.Provisioning;

namespace Hoard.Bench.Failover;

/// <summary>
/// MariaDB through the <c>mariadb</c> CLI (there is no MariaDB ADO.NET driver here): a table <c>seq</c> with one row per
/// number, written by <see cref="MariaDbCliSession"/>. The password goes in <c>MYSQL_PWD</c>, never in the arguments.
/// </summary>
internal sealed class MariaDbSequenceTable(WriteTarget target) : ISequenceTable
{
    public string WriteDescription => "mariadb CLI over TCP, autocommit INSERT INTO seq (n) VALUES (N) then SELECT N as the ack";

    public static IReadOnlyList<string> ClientArguments(WriteTarget target) =>
    [
        "--no-defaults", "--batch", "--skip-column-names", "--connect-timeout=2", "--protocol=TCP",
        $"--host={target.Host}", $"--port={target.Port.ToString(CultureInfo.InvariantCulture)}", $"--user={target.User}", target.Database,
    ];

    public static IReadOnlyDictionary<string, string> Environment(WriteTarget target) =>
        new Dictionary<string, string> { ["MYSQL_PWD"] = target.Password };

    public async Task CreateAsync(CancellationToken cancellationToken) =>
        await RunAsync("CREATE TABLE IF NOT EXISTS seq (n BIGINT NOT NULL PRIMARY KEY) ENGINE=InnoDB", cancellationToken);

    public ISequenceSession NewSession() => new MariaDbCliSession(target);

    public async Task<IReadOnlyList<long>> MissingAsync(IReadOnlyCollection<long> acknowledged, CancellationToken cancellationToken)
    {
        var output = await RunAsync("SELECT n FROM seq", cancellationToken);
        var present = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => long.Parse(line, CultureInfo.InvariantCulture)).ToHashSet();
        return [.. acknowledged.Where(n => !present.Contains(n)).Order()];
    }

    private async Task<string> RunAsync(string sql, CancellationToken cancellationToken)
    {
        var result = await Cli.RunAsync("mariadb", [.. ClientArguments(target), "-e", sql], cancellationToken, Environment(target));
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"mariadb at {target} could not run '{sql}' ({result.ExitCode}): {result.Output.Trim()}");
        return result.Output;
    }
}

namespace Hoard.IntegrationTests.Infrastructure;

/// <summary>One row of the table in <c>docs/policy.md</c>: a call, and per caller <c>yes</c>, a refusal code or <c>—</c>.</summary>
public sealed record PolicyRow(string Method, string Path, string? Body, IReadOnlyDictionary<string, string> Cells)
{
    public static readonly string[] Callers = ["Reader", "Member", "Admin", "Other project", "Anonymous"];

    public override string ToString() => $"{Method} {Path}{(Body is null ? "" : " " + Body)}";

    /// <summary>Reads the table's rows: the lines under the header that starts with <c>| Method |</c>.</summary>
    public static IReadOnlyList<PolicyRow> Read(string markdown)
    {
        var lines = markdown.Split('\n').Select(l => l.Trim()).ToList();
        var header = lines.FindIndex(l => l.StartsWith("| Method |", StringComparison.Ordinal));
        Assert.True(header >= 0, "docs/policy.md has no table whose header starts with '| Method |'");
        var columns = SplitCells(lines[header]);
        return [.. lines.Skip(header + 2).TakeWhile(l => l.StartsWith('|')).Select(l =>
        {
            var cells = SplitCells(l);
            Assert.True(cells.Length == columns.Length, $"row with {cells.Length} cells under a header of {columns.Length}: {l}");
            var byColumn = columns.Zip(cells).ToDictionary(c => c.First, c => c.Second.Trim('`'));
            var body = byColumn["Body"];
            return new PolicyRow(byColumn["Method"], byColumn["Path"], body.Length == 0 ? null : body,
                Callers.ToDictionary(c => c, c => byColumn[c]));
        })];
    }

    private static string[] SplitCells(string line) => [.. line.Trim('|').Split('|').Select(c => c.Trim())];
}

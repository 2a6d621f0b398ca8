namespace Hoard.Guest.Datastores.PostgreSql;

/// <summary>
/// The slow query log's lines in PostgreSQL's server log: the <c>duration:</c> entries that
/// <c>log_min_duration_statement</c> writes, each with the tab-indented lines that continue its statement.
/// </summary>
internal static class PostgreSqlSlowQueryLines
{
    private const string Marker = "LOG:  duration: ";

    public static IEnumerable<string> Keep(IReadOnlyList<string> lines)
    {
        var inEntry = false;
        foreach (var line in lines)
        {
            inEntry = line.Contains(Marker, StringComparison.Ordinal) || (inEntry && line.StartsWith('\t'));
            if (inEntry)
                yield return line;
        }
    }
}

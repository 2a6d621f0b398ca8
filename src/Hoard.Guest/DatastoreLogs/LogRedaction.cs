using System.Text.RegularExpressions;

namespace Hoard.Guest.DatastoreLogs;

/// <summary>
/// Hides passwords in logged statements before they leave the instance: <c>IDENTIFIED BY '…'</c>, <c>PASSWORD('…')</c>,
/// <c>PASSWORD '…'</c>, <c>MASTER_PASSWORD='…'</c>, <c>password=…</c> in connection strings.
/// </summary>
internal static partial class LogRedaction
{
    public const string Mask = "<redacted>";

    public static IReadOnlyList<string> Redact(IReadOnlyList<string> lines) => [.. lines.Select(Redact)];

    public static string Redact(string line) =>
        Assignment().Replace(Quoted().Replace(line, m => m.Groups["lead"].Value + "'" + Mask + "'"), m => m.Groups["lead"].Value + Mask);

    [GeneratedRegex("""(?<lead>(?:\bIDENTIFIED\s+(?:BY|(?:WITH|VIA)\s+\S+\s+(?:BY|USING|AS))(?:\s+PASSWORD)?|\bPASSWORD\s*\(|\bPASSWORD)\s*)(?:'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.)*")""",
        RegexOptions.IgnoreCase)]
    private static partial Regex Quoted();

    [GeneratedRegex("""(?<lead>\b\w*PASSWORD\s*=\s*)(?:'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.)*"|[^\s,;)'"]+)""", RegexOptions.IgnoreCase)]
    private static partial Regex Assignment();
}

namespace Hoard.Guest.Datastores.Redis;

/// <summary>Redis' <c>INFO</c>: <c>key:value</c> lines under <c># Section</c> headings.</summary>
internal static class RedisInfo
{
    public static Dictionary<string, string> Read(RedisConnection connection, params string[] sections) =>
        Parse(connection.Execute(["INFO", .. sections]).AsString());

    public static Dictionary<string, string> Parse(string info) =>
        info.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(line => !line.StartsWith('#') && line.Contains(':'))
            .Select(line => line.Split(':', 2))
            .ToDictionary(pair => pair[0], pair => pair[1], StringComparer.Ordinal);
}

using System.Globalization;

namespace Hoard.Cli.Commands;

/// <summary>A request path with its query filters; a filter left unset (null) is not sent.</summary>
internal static class QueryString
{
    public static string Path(string path, params (string Name, object? Value)[] filters)
    {
        var given = filters.Where(f => f.Value is not null)
            .Select(f => f.Name + "=" + Uri.EscapeDataString(Convert.ToString(f.Value, CultureInfo.InvariantCulture)!))
            .ToList();
        return given.Count == 0 ? path : path + "?" + string.Join('&', given);
    }
}

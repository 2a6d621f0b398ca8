using System.Globalization;

namespace Hoard.Persistence;

/// <summary>Timestamps are stored as sortable UTC text.</summary>
internal static class Ts
{
    public static string Of(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", CultureInfo.InvariantCulture);

    public static string? Of(DateTimeOffset? value) => value is { } v ? Of(v) : null;

    public static DateTimeOffset Parse(string value) =>
        DateTimeOffset.Parse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
}

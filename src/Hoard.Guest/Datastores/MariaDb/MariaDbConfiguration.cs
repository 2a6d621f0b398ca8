using System.Globalization;
using System.Text.RegularExpressions;
using Hoard.Contracts.Bus;
using Hoard.Contracts.Guest;

namespace Hoard.Guest.Datastores.MariaDb;

/// <summary>
/// Applies a configuration change to a running MariaDB with <c>SET GLOBAL</c>, all or none: the previous values are
/// read first (<c>SELECT @@GLOBAL.name</c>) and set back if the server refuses one of the new ones.
/// </summary>
internal static partial class MariaDbConfiguration
{
    public const int UnknownSystemVariable = 1193;

    /// <summary>ER_INCORRECT_GLOBAL_LOCAL_VAR: for SET GLOBAL, "is a read only variable".</summary>
    public const int ReadOnlyVariable = 1238;

    /// <param name="after">The settings of the new file; a changed key's value is its last one here.</param>
    /// <param name="replaceFile">Writes the new configuration file; runs once every live setting has been taken.</param>
    public static UpdateOverridesResult Apply(
        MariaDbConnection connection, ConfigurationChange change, IReadOnlyList<KeyValuePair<string, string?>> after, Action replaceFile)
    {
        var values = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var (key, value) in after)
            values[key] = value;

        var pending = new List<string>();
        var previous = new List<(string Key, string? Value)>();
        foreach (var key in change.Live)
        {
            try
            {
                // Keys are checked against the template's key pattern, so they can be written into the statement.
                previous.Add((key, connection.Query($"SELECT @@GLOBAL.{key}")[0][0]));
            }
            catch (MariaDbException e) when (e.ErrorNumber == UnknownSystemVariable)
            {
                // A start-up option without a variable behind it: the checked file gives it to the next start.
                pending.Add(key);
            }
            catch (MariaDbException e) when (!e.IsConnectionFailure)
            {
                throw Refused(key, e);
            }
        }

        var applied = new List<(string Key, string? Previous)>();
        try
        {
            foreach (var (key, old) in previous)
            {
                var value = change.Removed.Contains(key) ? "DEFAULT" : SqlValue(values[key] ?? "ON", connection.Literal);
                try
                {
                    connection.Execute($"SET GLOBAL {key} = {value}");
                    applied.Add((key, old));
                }
                catch (MariaDbException e) when (e.ErrorNumber == ReadOnlyVariable)
                {
                    pending.Add(key);
                }
                catch (MariaDbException e) when (!e.IsConnectionFailure)
                {
                    throw Refused(key, e);
                }
            }

            replaceFile();
        }
        catch (Exception e) when (applied.Count > 0)
        {
            var notUndone = Undo(connection, applied);
            if (notUndone.Count == 0)
                throw;
            throw new HandlerException(GuestErrorCodes.Internal,
                $"{e.Message} Setting back the previous values failed for {string.Join(", ", notUndone)}; a restart returns to the configuration file.");
        }

        return new UpdateOverridesResult([.. applied.Select(a => a.Key)], pending);
    }

    /// <summary>
    /// A value as SQL: numbers raw (a size with a K, M, G or T suffix, as the template writes them, in bytes),
    /// anything else as a string literal made by <paramref name="literal"/>, which the server converts as it does
    /// an option file's text (ON/OFF, enum names).
    /// </summary>
    public static string SqlValue(string value, Func<string, string> literal)
    {
        if (NumberPattern().IsMatch(value))
            return value;
        var size = SizePattern().Match(value);
        if (size.Success && ulong.TryParse(size.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            var shift = char.ToUpperInvariant(size.Groups[2].Value[0]) switch
            {
                'K' => 10,
                'M' => 20,
                'G' => 30,
                _ => 40,
            };
            if (number <= ulong.MaxValue >> shift)
                return (number << shift).ToString(CultureInfo.InvariantCulture);
        }

        return literal(value);
    }

    private static List<string> Undo(MariaDbConnection connection, List<(string Key, string? Previous)> applied)
    {
        var failed = new List<string>();
        foreach (var (key, old) in Enumerable.Reverse(applied))
        {
            try
            {
                connection.Execute($"SET GLOBAL {key} = {(old is null ? "NULL" : SqlValue(old, connection.Literal))}");
            }
            catch (MariaDbException)
            {
                failed.Add(key);
            }
        }

        return failed;
    }

    private static HandlerException Refused(string key, MariaDbException e) =>
        new(GuestErrorCodes.BadRequest, $"MariaDB refused the value of '{key}': {e.Message}");

    [GeneratedRegex(@"^-?[0-9]+(\.[0-9]+)?$")]
    private static partial Regex NumberPattern();

    [GeneratedRegex("^([0-9]+)([KMGTkmgt])$")]
    private static partial Regex SizePattern();
}

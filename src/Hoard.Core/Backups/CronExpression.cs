using System.Globalization;

namespace Hoard.Core.Backups;

/// <summary>
/// A five-field cron expression (minute hour day-of-month month day-of-week), evaluated in UTC: numbers, <c>*</c>, ranges
/// <c>a-b</c>, steps <c>*/s</c>, <c>a-b/s</c> and <c>a/s</c>, lists, and the names <c>JAN</c>–<c>DEC</c> and
/// <c>SUN</c>–<c>SAT</c>. Day of week 0 and 7 are Sunday. As in Vixie cron, when both day fields are restricted (neither
/// starts with <c>*</c>) a day matching either one matches.
/// </summary>
public sealed class CronExpression
{
    private static readonly Field[] Fields =
    [
        new("minute", 0, 59, []),
        new("hour", 0, 23, []),
        new("day of month", 1, 31, []),
        new("month", 1, 12, ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]),
        new("day of week", 0, 7, ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]),
    ];

    // Long enough for the rarest possible match, 29 February (no leap year between 2096 and 2104).
    private const int SearchDays = 366 * 9;

    private readonly ulong[] _sets;
    private readonly bool _anyDayOfMonth;
    private readonly bool _anyDayOfWeek;

    private CronExpression(string text, ulong[] sets, bool anyDayOfMonth, bool anyDayOfWeek)
    {
        Text = text;
        _sets = sets;
        _anyDayOfMonth = anyDayOfMonth;
        _anyDayOfWeek = anyDayOfWeek;
    }

    public string Text { get; }

    /// <exception cref="FormatException">Says which field is wrong and why.</exception>
    public static CronExpression Parse(string text) =>
        TryParse(text, out var expression, out var error) ? expression! : throw new FormatException(error);

    public static bool TryParse(string text, out CronExpression? expression, out string? error)
    {
        expression = null;
        var parts = text.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 5)
        {
            error = $"a cron expression has 5 fields (minute hour day-of-month month day-of-week); '{text}' has {parts.Length}.";
            return false;
        }

        var sets = new ulong[5];
        for (var i = 0; i < 5; i++)
        {
            if (!TryParseField(parts[i], Fields[i], out sets[i], out error))
            {
                return false;
            }
        }

        // Sunday is both 0 and 7.
        if ((sets[4] & (1UL << 7)) != 0)
        {
            sets[4] = (sets[4] | 1UL) & ~(1UL << 7);
        }

        var anyDayOfMonth = parts[2].StartsWith('*');
        var anyDayOfWeek = parts[4].StartsWith('*');
        if (!anyDayOfMonth && anyDayOfWeek && !Enumerable.Range(1, 12).Any(m => (sets[3] & (1UL << m)) != 0 &&
                Enumerable.Range(1, DateTime.DaysInMonth(2024, m)).Any(d => (sets[2] & (1UL << d)) != 0)))
        {
            error = $"'{text}' never occurs: none of its months has any of its days.";
            return false;
        }

        expression = new CronExpression(string.Join(' ', parts), sets, anyDayOfMonth, anyDayOfWeek);
        error = null;
        return true;
    }

    /// <summary>The first time this expression matches strictly after <paramref name="time"/> (whole minutes, UTC).</summary>
    public DateTimeOffset Next(DateTimeOffset time)
    {
        var utc = time.UtcDateTime;
        var start = new DateTime(utc.Year, utc.Month, utc.Day, utc.Hour, utc.Minute, 0, DateTimeKind.Utc).AddMinutes(1);
        for (var day = 0; day < SearchDays; day++)
        {
            var date = start.Date.AddDays(day);
            if (!DayMatches(date))
            {
                continue;
            }

            var fromHour = day == 0 ? start.Hour : 0;
            for (var hour = fromHour; hour < 24; hour++)
            {
                if (!Has(1, hour))
                {
                    continue;
                }

                var fromMinute = day == 0 && hour == start.Hour ? start.Minute : 0;
                for (var minute = fromMinute; minute < 60; minute++)
                {
                    if (Has(0, minute))
                    {
                        return new DateTimeOffset(date.AddHours(hour).AddMinutes(minute), TimeSpan.Zero);
                    }
                }
            }
        }

        // Parse refuses expressions that never occur, so this is unreachable for a parsed expression.
        throw new InvalidOperationException($"'{Text}' has no time after {time:O}.");
    }

    public override string ToString() => Text;

    private bool DayMatches(DateTime date)
    {
        if (!Has(3, date.Month))
        {
            return false;
        }

        var dayOfMonth = Has(2, date.Day);
        var dayOfWeek = Has(4, (int)date.DayOfWeek);
        return _anyDayOfMonth || _anyDayOfWeek ? dayOfMonth && dayOfWeek : dayOfMonth || dayOfWeek;
    }

    private bool Has(int field, int value) => (_sets[field] & (1UL << value)) != 0;

    private static bool TryParseField(string text, Field field, out ulong set, out string? error)
    {
        set = 0;
        foreach (var item in text.Split(','))
        {
            if (!TryParseItem(item, field, ref set, out error))
            {
                error = $"cron {field.Name} '{text}': {error}";
                return false;
            }
        }

        error = null;
        return true;
    }

    private static bool TryParseItem(string item, Field field, ref ulong set, out string? error)
    {
        error = null;
        var slash = item.Split('/');
        if (slash.Length > 2 || item.Length == 0)
        {
            error = $"'{item}' is not a value, range or step.";
            return false;
        }

        var step = 1;
        if (slash.Length == 2 && (!int.TryParse(slash[1], NumberStyles.None, CultureInfo.InvariantCulture, out step) || step < 1 ||
                                  step > field.Max - field.Min + 1))
        {
            error = $"the step '{slash[1]}' must be a number from 1 to {field.Max - field.Min + 1}.";
            return false;
        }

        int low, high;
        if (slash[0] == "*")
        {
            (low, high) = (field.Min, field.Max);
        }
        else
        {
            var dash = slash[0].Split('-');
            if (dash.Length > 2)
            {
                error = $"'{slash[0]}' is not a value or range.";
                return false;
            }

            if (!TryValue(dash[0], field, out low, out error))
            {
                return false;
            }

            high = low;
            if (dash.Length == 2 && !TryValue(dash[1], field, out high, out error))
            {
                return false;
            }

            if (high < low)
            {
                error = $"the range '{slash[0]}' runs backwards.";
                return false;
            }

            // "5/15" is "5-59/15", as most crons read it.
            if (dash.Length == 1 && slash.Length == 2)
            {
                high = field.Max;
            }
        }

        for (var v = low; v <= high; v += step)
        {
            set |= 1UL << v;
        }

        return true;
    }

    private static bool TryValue(string text, Field field, out int value, out string? error)
    {
        error = null;
        var name = Array.FindIndex(field.Names, n => n.Equals(text, StringComparison.OrdinalIgnoreCase));
        if (name >= 0)
        {
            value = name + (field.Min == 1 ? 1 : 0);
            return true;
        }

        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value))
        {
            error = field.Names.Length > 0
                ? $"'{text}' is neither a number nor one of {string.Join(", ", field.Names)}."
                : $"'{text}' is not a number.";
            return false;
        }

        if (value < field.Min || value > field.Max)
        {
            error = $"{value} is out of range {field.Min}-{field.Max}.";
            return false;
        }

        return true;
    }

    private sealed record Field(string Name, int Min, int Max, string[] Names);
}

using Hoard.Core.Backups;

namespace Hoard.Core.Tests.Backups;

public sealed class CronExpressionTests
{
    [Theory]
    [InlineData("0 3 * * *", "2026-11-30T23:20:00Z", "2026-12-01T03:00:00Z")]
    [InlineData("0 3 * * *", "2026-12-01T03:00:00Z", "2026-12-02T03:00:00Z")]
    [InlineData("*/15 * * * *", "2026-11-30T10:07:30Z", "2026-11-30T10:15:00Z")]
    [InlineData("*/15 * * * *", "2026-11-30T10:15:00Z", "2026-11-30T10:30:00Z")]
    [InlineData("*/15 * * * *", "2026-11-30T23:59:59Z", "2026-12-01T00:00:00Z")]
    [InlineData("5-20/5 * * * *", "2026-11-30T10:20:00Z", "2026-11-30T11:05:00Z")]
    [InlineData("5/20 * * * *", "2026-11-30T10:26:00Z", "2026-11-30T10:45:00Z")]
    [InlineData("0,30 8,20 * * *", "2026-11-30T08:31:00Z", "2026-11-30T20:00:00Z")]
    [InlineData("0 0 1 jan *", "2026-06-01T00:00:00Z", "2027-01-01T00:00:00Z")]
    [InlineData("0 0 1 JAN-MAR/2 *", "2027-01-01T00:00:00Z", "2027-03-01T00:00:00Z")]
    [InlineData("30 2 * * MON-FRI", "2026-12-04T03:00:00Z", "2026-12-07T02:30:00Z")]
    [InlineData("0 12 * * 7", "2026-12-01T00:00:00Z", "2026-12-06T12:00:00Z")]
    [InlineData("0 12 * * 0", "2026-12-01T00:00:00Z", "2026-12-06T12:00:00Z")]
    [InlineData("0 12 * * sun", "2026-12-01T00:00:00Z", "2026-12-06T12:00:00Z")]
    [InlineData("0 0 10 * *", "2026-11-07T00:00:00Z", "2026-11-10T00:00:00Z")]
    [InlineData("0 0 10 * FRI", "2026-11-07T00:00:00Z", "2026-11-10T00:00:00Z")]
    [InlineData("0 0 10 * FRI", "2026-11-10T00:00:00Z", "2026-11-13T00:00:00Z")]
    [InlineData("0 0 31 * *", "2026-11-01T00:00:00Z", "2026-12-31T00:00:00Z")]
    [InlineData("0 0 29 2 *", "2026-03-01T00:00:00Z", "2028-02-29T00:00:00Z")]
    [InlineData("59 23 31 12 *", "2026-12-31T23:59:00Z", "2027-12-31T23:59:00Z")]
    [InlineData("  0   3 *  * * ", "2026-11-30T23:20:00Z", "2026-12-01T03:00:00Z")]
    public void Next_IsTheFirstMatchStrictlyAfter_InUtc(string cron, string after, string expected) =>
        Assert.Equal(DateTimeOffset.Parse(expected), CronExpression.Parse(cron).Next(DateTimeOffset.Parse(after)));

    [Fact]
    public void Next_OfATimeInAnotherOffset_IsComputedInUtc() =>
        Assert.Equal(DateTimeOffset.Parse("2026-12-01T03:00:00Z"),
            CronExpression.Parse("0 3 * * *").Next(DateTimeOffset.Parse("2026-12-01T01:30:00+02:00")));

    [Fact]
    public void Next_EveryMinute_Is60SecondsApart_AcrossAYear()
    {
        var cron = CronExpression.Parse("* * * * *");
        var t = DateTimeOffset.Parse("2026-12-31T23:58:00Z");
        for (var i = 0; i < 5; i++)
        {
            var next = cron.Next(t);
            Assert.Equal(TimeSpan.FromMinutes(1), next - t);
            t = next;
        }

        Assert.Equal(DateTimeOffset.Parse("2027-01-01T00:03:00Z"), t);
    }

    [Theory]
    [InlineData("0 3 * *", "has 4")]
    [InlineData("0 3 * * * *", "has 6")]
    [InlineData("", "has 0")]
    [InlineData("60 * * * *", "cron minute '60': 60 is out of range 0-59")]
    [InlineData("* 24 * * *", "cron hour '24': 24 is out of range 0-23")]
    [InlineData("* * 0 * *", "cron day of month '0': 0 is out of range 1-31")]
    [InlineData("* * * 13 *", "cron month '13': 13 is out of range 1-12")]
    [InlineData("* * * * 8", "cron day of week '8': 8 is out of range 0-7")]
    [InlineData("*/0 * * * *", "the step '0' must be a number from 1 to 60")]
    [InlineData("*/61 * * * *", "the step '61'")]
    [InlineData("*/ * * * *", "the step ''")]
    [InlineData("5-1 * * * *", "the range '5-1' runs backwards")]
    [InlineData("1-2-3 * * * *", "'1-2-3' is not a value or range")]
    [InlineData("a * * * *", "'a' is not a number")]
    [InlineData("-5 * * * *", "'' is not a number")]
    [InlineData("1,,2 * * * *", "'' is not a value, range or step")]
    [InlineData("1/2/3 * * * *", "'1/2/3' is not a value, range or step")]
    [InlineData("* * * FOO *", "'FOO' is neither a number nor one of JAN")]
    [InlineData("* * * * MONDAY", "'MONDAY' is neither a number nor one of SUN")]
    [InlineData("0 0 30 2 *", "never occurs")]
    [InlineData("0 0 31 4,6,9,11 *", "never occurs")]
    [InlineData("@daily", "has 1")]
    public void Parse_Refuses_SayingWhy(string cron, string reason)
    {
        Assert.False(CronExpression.TryParse(cron, out var parsed, out var error));
        Assert.Null(parsed);
        Assert.Contains(reason, error, StringComparison.Ordinal);
        Assert.Equal(error, Assert.Throws<FormatException>(() => CronExpression.Parse(cron)).Message);
    }

    [Fact]
    public void Parse_OnTheThirtiethOfFebruaryOrAFriday_Occurs_BecauseEitherDayFieldMatches() =>
        Assert.Equal(DayOfWeek.Friday, CronExpression.Parse("0 0 30 2 FRI").Next(DateTimeOffset.Parse("2026-12-01T00:00:00Z")).DayOfWeek);

    [Fact]
    public void Text_IsNormalised() => Assert.Equal("0 3 * * MON", CronExpression.Parse(" 0  3 * * MON ").Text);
}

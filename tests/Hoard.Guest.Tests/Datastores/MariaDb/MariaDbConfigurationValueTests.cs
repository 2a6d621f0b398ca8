using Hoard.Guest.Datastores.MariaDb;

namespace Hoard.Guest.Tests.Datastores.MariaDb;

public sealed class MariaDbConfigurationValueTests
{
    [Theory]
    [InlineData("100", "100")]
    [InlineData("-1", "-1")]
    [InlineData("0.5", "0.5")]
    [InlineData("128M", "134217728")]
    [InlineData("16m", "16777216")]
    [InlineData("2K", "2048")]
    [InlineData("1G", "1073741824")]
    [InlineData("1T", "1099511627776")]
    public void SqlValue_Number_IsRaw(string value, string sql) =>
        Assert.Equal(sql, MariaDbConfiguration.SqlValue(value, Quote));

    [Theory]
    [InlineData("ON")]
    [InlineData("OFF")]
    [InlineData("abc")]
    [InlineData("1e3")]
    [InlineData("128MB")]
    [InlineData("STRICT_TRANS_TABLES,NO_ZERO_DATE")]
    [InlineData("it's; DROP TABLE x")]
    [InlineData("99999999999999999999T")]
    [InlineData("")]
    public void SqlValue_AnythingElse_IsAStringLiteral(string value) =>
        Assert.Equal(Quote(value), MariaDbConfiguration.SqlValue(value, Quote));

    [Fact]
    public void CheckErrors_KeepsTheServersErrorLines()
    {
        const string output = """
            2026-11-22  7:32:56 0 [Warning] Could not increase number of max_open_files to more than 20000 (request: 32133)
            2026-11-22  7:32:56 0 [ERROR] Buffered error: Unknown suffix 'a' used for variable 'max_connections' (value 'abc'). Legal suffix characters are: K, M, G, T, P, E
            2026-11-22  7:32:56 0 [ERROR] Buffered error: /usr/sbin/mariadbd: Error while setting value 'abc' to 'max_connections'
            2026-11-22  7:32:56 0 [ERROR] mariadbd: unknown variable 'no_such_variable=1'
            """;

        Assert.Equal(
            "Unknown suffix 'a' used for variable 'max_connections' (value 'abc'). Legal suffix characters are: K, M, G, T, P, E; " +
            "Error while setting value 'abc' to 'max_connections'; unknown variable 'no_such_variable=1'",
            MariaDbServer.CheckErrors(output));
    }

    private static string Quote(string value) => "<" + value + ">";
}

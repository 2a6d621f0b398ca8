using Hoard.Guest.Datastores.PostgreSql;

namespace Hoard.Guest.Tests.Datastores.PostgreSql;

public sealed class PostgreSqlConfigurationValueTests
{
    [Theory]
    [InlineData("'iso, mdy'", "iso, mdy")]
    [InlineData("'it''s'", "it's")]
    [InlineData("''", "")]
    [InlineData("8MB", "8MB")]
    [InlineData("'", "'")]
    public void Unquote_UndoesTheTemplatesQuoting(string written, string value) =>
        Assert.Equal(value, PostgreSqlConfigTemplate.Unquote(written));

    [Fact]
    public void CheckErrors_KeepsWhatTheServerSaid_WithoutPaths()
    {
        const string output = """
            2026-11-22 07:31:32.791 GMT [7512] LOG:  invalid value for parameter "work_mem": "lots"
            2026-11-22 07:31:32.791 GMT [7512] LOG:  unrecognized configuration parameter "bogus" in file "/srv/i1/data/pgdata/postgresql.conf.check" line 31
            2026-11-22 07:31:32.791 GMT [7512] FATAL:  configuration file "/srv/i1/data/pgdata/postgresql.conf.check" contains errors
            """;

        Assert.Equal("invalid value for parameter \"work_mem\": \"lots\"; unrecognized configuration parameter \"bogus\"",
            PostgreSqlServer.CheckErrors(output));
    }
}

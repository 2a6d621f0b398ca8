using Hoard.Guest.DatastoreLogs;

namespace Hoard.Guest.Tests.DatastoreLogs;

public class LogRedactionTests
{
    [Theory]
    [InlineData("CREATE USER 'app'@'%' IDENTIFIED BY 'Pa55-word'")]
    [InlineData("ALTER USER app IDENTIFIED VIA mysql_native_password USING PASSWORD('Pa55-word')")]
    [InlineData("ALTER USER app IDENTIFIED WITH ed25519 AS 'Pa55-word'")]
    [InlineData("SET PASSWORD FOR 'app'@'%' = PASSWORD('Pa55-word')")]
    [InlineData("CHANGE MASTER TO MASTER_HOST='10.0.0.1', MASTER_PASSWORD='Pa55-word', MASTER_USE_GTID=slave_pos")]
    [InlineData("ALTER ROLE app WITH LOGIN PASSWORD 'Pa55-word'")]
    [InlineData("ALTER SYSTEM SET primary_conninfo = 'host=10.0.0.1 user=repl password=Pa55-word'")]
    [InlineData("CREATE USER \"app\" IDENTIFIED BY \"Pa55-word\"")]
    public void Redact_HidesThePassword_KeepsTheStatement(string statement)
    {
        var redacted = LogRedaction.Redact("# Query_time: 2.0\n" + statement);
        Assert.DoesNotContain("Pa55-word", redacted, StringComparison.Ordinal);
        Assert.Contains(LogRedaction.Mask, redacted, StringComparison.Ordinal);
        Assert.StartsWith("# Query_time: 2.0\n" + statement[..10], redacted, StringComparison.Ordinal);
    }

    [Fact]
    public void Redact_QuotedPasswordWithEscapes_HidesAllOfIt()
    {
        var redacted = LogRedaction.Redact("CREATE USER a IDENTIFIED BY 'it''s \\' secret' ; SELECT 1");
        Assert.Equal("CREATE USER a IDENTIFIED BY '<redacted>' ; SELECT 1", redacted);
    }

    [Fact]
    public void Redact_LineWithoutSecrets_IsUnchanged()
    {
        const string line = "SELECT SLEEP(1.5), password_expired FROM mysql.user WHERE user = 'passwords'";
        Assert.Equal(line, LogRedaction.Redact(line));
    }
}

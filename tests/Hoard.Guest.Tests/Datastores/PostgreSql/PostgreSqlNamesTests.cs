using Hoard.Contracts.Bus;
using Hoard.Guest.Datastores.PostgreSql;

namespace Hoard.Guest.Tests.Datastores.PostgreSql;

public sealed class PostgreSqlNamesTests
{
    [Theory]
    [InlineData("shop")]
    [InlineData("db two")]
    [InlineData("a-b_c")]
    public void ValidDatabaseNames_AreAccepted(string name) => PostgreSqlNames.ValidateUserDatabaseName(name);

    [Theory]
    [InlineData("")]
    [InlineData("Template1")]
    [InlineData("trailing ")]
    [InlineData("quote\"d")]
    [InlineData("semi;colon")]
    public void InvalidOrReservedDatabaseNames_AreBadRequests(string name) =>
        Assert.Throws<HandlerException>(() => PostgreSqlNames.ValidateUserDatabaseName(name));

    [Fact]
    public void Names_AreMeasuredInBytesAsTheServerDoes()
    {
        PostgreSqlNames.ValidateUserAccountName(new string('a', 63));
        PostgreSqlNames.ValidateUserAccountName(new string('ü', 31));
        Assert.Throws<HandlerException>(() => PostgreSqlNames.ValidateUserAccountName(new string('a', 64)));
        Assert.Throws<HandlerException>(() => PostgreSqlNames.ValidateUserAccountName(new string('ü', 32)));
    }

    [Theory]
    [InlineData("pg_anything")]
    [InlineData("Public")]
    [InlineData("none")]
    [InlineData("os_admin")]
    public void ReservedRoles_AreRefused(string name) =>
        Assert.Throws<HandlerException>(() => PostgreSqlNames.ValidateUserAccountName(name));

    [Fact]
    public void Quoting_DoublesInnerQuotes()
    {
        Assert.Equal("\"a\"\"b\"", PostgreSqlNames.QuoteIdentifier("a\"b"));
        Assert.Equal("'it''s'", PostgreSqlNames.QuoteLiteral("it's"));
        Assert.Throws<HandlerException>(() => PostgreSqlNames.QuoteLiteral("back\\slash"));
    }
}

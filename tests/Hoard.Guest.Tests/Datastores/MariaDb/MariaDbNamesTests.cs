using Hoard.Contracts.Bus;
using Hoard.Contracts.Guest;
using Hoard.Guest.Datastores.MariaDb;

namespace Hoard.Guest.Tests.Datastores.MariaDb;

public sealed class MariaDbNamesTests
{
    [Theory]
    [InlineData("a")]
    [InlineData("shop")]
    [InlineData("my_db-2")]
    [InlineData("sales 2024")]
    [InlineData("a#b")]
    [InlineData("a@b")]
    [InlineData("a?b")]
    [InlineData("a ?#@ b")]
    public void ValidateDatabaseName_AcceptsTroveNames(string name) => MariaDbNames.ValidateDatabaseName(name);

    [Theory]
    [InlineData("")]
    [InlineData(" db")]
    [InlineData("db ")]
    [InlineData("db;drop")]
    [InlineData("db`x")]
    [InlineData("db'x")]
    [InlineData("db\"x")]
    [InlineData("db\\x")]
    [InlineData("db%")]
    [InlineData("db.x")]
    [InlineData("db/x")]
    [InlineData("a\nb")]
    [InlineData("a\tb")]
    [InlineData("a b c")]
    [InlineData("lost+found")]
    [InlineData("#mysql50#lost+found")]
    public void ValidateDatabaseName_RejectsOtherNames(string name) => AssertBadRequest(() => MariaDbNames.ValidateDatabaseName(name), name);

    [Fact]
    public void ValidateDatabaseName_Allows64CharactersButNot65()
    {
        MariaDbNames.ValidateDatabaseName(new string('d', 64));
        AssertBadRequest(() => MariaDbNames.ValidateDatabaseName(new string('d', 65)), "64 characters");
    }

    [Fact]
    public void ValidateDatabaseName_RejectsNull() => AssertBadRequest(() => MariaDbNames.ValidateDatabaseName(null), "required");

    [Theory]
    [InlineData("mysql")]
    [InlineData("information_schema")]
    [InlineData("performance_schema")]
    [InlineData("sys")]
    [InlineData("MySQL")]
    public void ValidateUserDatabaseName_RejectsReservedNames(string name) =>
        AssertBadRequest(() => MariaDbNames.ValidateUserDatabaseName(name), "reserved");

    [Theory]
    [InlineData("alice")]
    [InlineData("bob smith")]
    [InlineData("app-user_1")]
    [InlineData("us%er")]
    [InlineData("ünïcödé")]
    public void ValidateUserName_AcceptsUserNames(string name) => MariaDbNames.ValidateUserName(name);

    [Theory]
    [InlineData("")]
    [InlineData(" alice")]
    [InlineData("alice ")]
    [InlineData("al'ice")]
    [InlineData("al\"ice")]
    [InlineData("al;ice")]
    [InlineData("al`ice")]
    [InlineData("al,ice")]
    [InlineData("al/ice")]
    [InlineData("al\\ice")]
    [InlineData("al\nice")]
    public void ValidateUserName_RejectsOtherNames(string name) => AssertBadRequest(() => MariaDbNames.ValidateUserName(name), "");

    [Fact]
    public void ValidateUserName_Allows80CharactersButNot81()
    {
        MariaDbNames.ValidateUserName(new string('u', 80));
        AssertBadRequest(() => MariaDbNames.ValidateUserName(new string('u', 81)), "80 characters");
    }

    [Theory]
    [InlineData("root")]
    [InlineData("os_admin")]
    [InlineData("mariadb.sys")]
    [InlineData("mysql.session")]
    public void ValidateUserAccountName_RejectsReservedUsers(string name) =>
        AssertBadRequest(() => MariaDbNames.ValidateUserAccountName(name), "reserved");

    [Theory]
    [InlineData("%")]
    [InlineData("localhost")]
    [InlineData("127.0.0.1")]
    [InlineData("10.0.%")]
    [InlineData("10.%.%.%")]
    [InlineData("192.168.1.%")]
    [InlineData("192.168.1.0/255.255.255.0")]
    [InlineData("::1")]
    [InlineData("fe80::%")]
    public void ValidateHost_AcceptsWildcardsAndAddresses(string host) => MariaDbNames.ValidateHost(host);

    [Theory]
    [InlineData("")]
    [InlineData("example.com")]
    [InlineData("10.0")]
    [InlineData("256.0.0.1")]
    [InlineData("1.2.3.4.5")]
    [InlineData("10.0.0.0/8")]
    [InlineData("10.0.0.0/255.0.255.0")]
    [InlineData("%'; DROP USER root; --")]
    [InlineData("1.2.3.4'")]
    [InlineData("%%")]
    public void ValidateHost_RejectsEverythingElse(string host) => AssertBadRequest(() => MariaDbNames.ValidateHost(host), "");

    [Theory]
    [InlineData("x")]
    [InlineData("correct horse battery staple")]
    [InlineData("p@ss:w0rd!#$%^&*()")]
    public void ValidatePassword_AcceptsPasswords(string password) => MariaDbNames.ValidatePassword(password);

    [Theory]
    [InlineData("")]
    [InlineData("it's")]
    [InlineData("semi;colon")]
    [InlineData("back`tick")]
    [InlineData("back\\slash")]
    [InlineData("new\nline")]
    public void ValidatePassword_RejectsForbiddenCharactersWithoutEchoingThem(string password)
    {
        var error = Assert.Throws<HandlerException>(() => MariaDbNames.ValidatePassword(password));
        Assert.Equal(GuestErrorCodes.BadRequest, error.Code);
        if (password.Length > 0)
            Assert.DoesNotContain(password, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ValidatePassword_Allows255CharactersButNot256()
    {
        MariaDbNames.ValidatePassword(new string('p', 255));
        AssertBadRequest(() => MariaDbNames.ValidatePassword(new string('p', 256)), "255");
    }

    [Theory]
    [InlineData("utf8mb4")]
    [InlineData("latin1_swedish_ci")]
    public void ValidateCharsetName_AcceptsPlainNames(string name) => MariaDbNames.ValidateCharsetName(name, "Character set");

    [Theory]
    [InlineData("utf8mb4;")]
    [InlineData("UTF8")]
    [InlineData("utf8 COLLATE x")]
    public void ValidateCharsetName_RejectsAnythingElse(string name) =>
        AssertBadRequest(() => MariaDbNames.ValidateCharsetName(name, "Character set"), name);

    [Fact]
    public void QuoteIdentifier_WrapsInBackticksAndDoublesThem() => Assert.Equal("`a``b`", MariaDbNames.QuoteIdentifier("a`b"));

    [Theory]
    [InlineData("shop", "`shop`")]
    [InlineData("my_db", "`my\\_db`")]
    public void GrantDatabase_EscapesGrantWildcards(string name, string expected) => Assert.Equal(expected, MariaDbNames.GrantDatabase(name));

    [Theory]
    [InlineData("my\\_db", "my_db")]
    [InlineData("my_db", "my_db")]
    [InlineData("shop", "shop")]
    public void UnescapeGrantDatabase_UndoesGrantEscapes(string pattern, string expected) =>
        Assert.Equal(expected, MariaDbNames.UnescapeGrantDatabase(pattern));

    private static void AssertBadRequest(Action action, string messagePart)
    {
        var error = Assert.Throws<HandlerException>(action);
        Assert.Equal(GuestErrorCodes.BadRequest, error.Code);
        Assert.Contains(messagePart, error.Message, StringComparison.Ordinal);
    }
}

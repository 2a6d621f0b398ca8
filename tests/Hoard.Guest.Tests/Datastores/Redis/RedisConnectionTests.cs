using Hoard.Guest.Datastores.Redis;

namespace Hoard.Guest.Tests.Datastores.Redis;

/// <summary>The hiredis wrapper against a real Redis: every reply type, and arguments that would break a command line.</summary>
public sealed class RedisConnectionTests(RedisFixture fixture) : IClassFixture<RedisFixture>
{
    [Theory]
    [InlineData("with spaces in it")]
    [InlineData("quotes \" and ' and \\ backslash")]
    [InlineData("new\r\nlines\nand\ttabs")]
    [InlineData("*3\r\n$3\r\nSET\r\n")]
    [InlineData("ünïcödé ✓")]
    [InlineData("")]
    public void Arguments_AreBinarySafe(string value)
    {
        using var connection = fixture.Admin();
        var key = "binary " + value;

        Assert.Equal("OK", connection.Execute("SET", key, value).AsString());

        var reply = connection.Execute("GET", key);
        Assert.Equal(RedisValueKind.String, reply.Kind);
        Assert.Equal(value, reply.AsString());
        Assert.Equal(1, connection.Execute("EXISTS", key).AsInteger());
    }

    [Fact]
    public void Replies_HaveTheirKinds()
    {
        using var connection = fixture.Admin();
        connection.Execute("DEL", "kinds:list", "kinds:missing");

        Assert.Equal(RedisValueKind.Status, connection.Execute("PING").Kind);
        Assert.True(connection.Execute("GET", "kinds:missing").IsNil);
        Assert.Equal(3, connection.Execute("RPUSH", "kinds:list", "a", "", "c").AsInteger());
        var items = connection.Execute("LRANGE", "kinds:list", "0", "-1").AsArray();
        Assert.Equal(["a", "", "c"], items.Select(item => item.AsString()));
        var nested = connection.Execute("SCAN", "0", "MATCH", "kinds:list", "COUNT", "1000").AsArray();
        Assert.Equal(RedisValueKind.Array, nested[1].Kind);
        Assert.Equal(-1, connection.Execute("TTL", "kinds:list").AsInteger());
    }

    [Fact]
    public void ErrorReply_IsThrownWithItsCode()
    {
        using var connection = fixture.Admin();
        connection.Execute("SET", "errors:string", "x");

        var error = Assert.Throws<RedisException>(() => connection.Execute("LPUSH", "errors:string", "y"));
        Assert.Equal("WRONGTYPE", error.ErrorCode);
        Assert.False(error.IsConnectionFailure);
        var unknown = Assert.Throws<RedisException>(() => connection.Execute("NO-SUCH-COMMAND"));
        Assert.Equal("ERR", unknown.ErrorCode);
        Assert.Equal("PONG", connection.Execute("PING").AsString());
    }

    [Fact]
    public void WrongPassword_IsRefusedAtConnect()
    {
        var error = Assert.Throws<RedisException>(() => fixture.ConnectTcp(RedisFixture.User, "not-the-password"));

        Assert.Equal("WRONGPASS", error.ErrorCode);
    }

    [Fact]
    public void NothingListening_IsAConnectionFailure()
    {
        var error = Assert.Throws<RedisException>(() =>
            RedisConnection.OpenUnix(Path.Combine(fixture.Instance.Root, "no-such.sock"), null, null, TimeSpan.FromSeconds(1)));

        Assert.True(error.IsConnectionFailure);
    }
}

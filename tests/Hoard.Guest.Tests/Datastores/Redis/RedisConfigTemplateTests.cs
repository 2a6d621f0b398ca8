using Hoard.Contracts.Bus;
using Hoard.Contracts.Guest;
using Hoard.Guest.Datastores.Redis;

namespace Hoard.Guest.Tests.Datastores.Redis;

public sealed class RedisConfigTemplateTests
{
    private static readonly GuestConfig Config = new()
    {
        InstanceId = "8d7c0b4e-0000-4000-8000-000000000001",
        Manager = "redis",
        BusSocket = "/run/bus.sock",
        BusSecret = "unused",
        Address = "10.200.0.2",
        Port = 6379,
        Paths = new InstancePaths("/srv/i1/data", "/srv/i1/run", "/srv/i1/log", "/srv/i1/etc"),
    };

    [Theory]
    [InlineData(128, "96mb")]
    [InlineData(512, "384mb")]
    [InlineData(4096, "3072mb")]
    [InlineData(16, "16mb")]
    public void MaxMemory_IsThreeQuartersOfTheFlavor(int memoryMb, string expected)
    {
        Assert.Equal(expected, Value(RedisConfigTemplate.Settings(Config, memoryMb, null), "maxmemory"));
    }

    [Fact]
    public void Render_BindsTheInstanceAndPersists()
    {
        var conf = RedisConfigTemplate.Render(Config, 1024, null);

        Assert.Contains("\nbind 10.200.0.2\n", conf);
        Assert.Contains("\nport 6379\n", conf);
        Assert.Contains("\nunixsocket /srv/i1/run/redis.sock\n", conf);
        Assert.Contains("\nunixsocketperm 700\n", conf);
        Assert.Contains("\ndir /srv/i1/data\n", conf);
        Assert.Contains("\naclfile /srv/i1/etc/users.acl\n", conf);
        Assert.Contains("\nappendonly yes\n", conf);
        Assert.Contains("\nappendfsync everysec\n", conf);
        Assert.Contains("\nsave 900 1 300 10 60 10000\n", conf);
        Assert.Contains("\nmaxmemory-policy noeviction\n", conf);
        Assert.Contains("\nprotected-mode yes\n", conf);
        Assert.DoesNotContain("requirepass", conf);
    }

    [Fact]
    public void Overrides_ReplaceDefaultsAndAddSettings()
    {
        var settings = RedisConfigTemplate.Settings(Config, 1024,
            new Dictionary<string, string> { ["maxmemory-policy"] = "allkeys-lru", ["hz"] = "20", ["save"] = "3600 1" });

        Assert.Equal("allkeys-lru", Value(settings, "maxmemory-policy"));
        Assert.Equal("20", Value(settings, "hz"));
        Assert.Equal("3600 1", Value(settings, "save"));
    }

    [Theory]
    [InlineData("dir", "/tmp")]
    [InlineData("aclfile", "/tmp/acl")]
    [InlineData("requirepass", "x")]
    [InlineData("enable-debug-command", "yes")]
    [InlineData("Bad Key", "1")]
    [InlineData("hz", "10\nrequirepass x")]
    [InlineData("hz", "\"quoted\"")]
    public void Overrides_ThatWouldCutTheGuestOffOrInjectLines_AreRefused(string key, string value)
    {
        var error = Assert.Throws<HandlerException>(() =>
            RedisConfigTemplate.Settings(Config, 1024, new Dictionary<string, string> { [key] = value }));

        Assert.Equal(GuestErrorCodes.BadRequest, error.Code);
    }

    private static string Value(IReadOnlyList<KeyValuePair<string, string>> settings, string key) =>
        settings.Single(setting => setting.Key == key).Value;
}

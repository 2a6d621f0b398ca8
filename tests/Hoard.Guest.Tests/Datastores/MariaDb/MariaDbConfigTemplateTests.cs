using Hoard.Contracts.Bus;
using Hoard.Contracts.Guest;
using Hoard.Guest.Datastores.MariaDb;

namespace Hoard.Guest.Tests.Datastores.MariaDb;

public sealed class MariaDbConfigTemplateTests
{
    private static readonly GuestConfig Config = new()
    {
        InstanceId = "6f1c2a9e-0000-4000-8000-000000000001",
        Manager = "mariadb",
        BusSocket = "/run/hoard/bus.sock",
        BusSecret = "not-used-here",
        Address = "10.1.2.3",
        Port = 13306,
        Paths = new InstancePaths("/srv/i1/data", "/srv/i1/run", "/srv/i1/log", "/srv/i1/etc"),
    };

    [Fact]
    public void Render_For512Mb_UsesSmallSettings()
    {
        var settings = Parse(MariaDbConfigTemplate.Render(Config, 512, null));

        Assert.Equal("128M", settings["innodb_buffer_pool_size"]);
        Assert.Equal("48M", settings["innodb_log_file_size"]);
        Assert.Equal("50", settings["max_connections"]);
        Assert.Equal("OFF", settings["performance_schema"]);
        Assert.Equal("1M", settings["key_buffer_size"]);
    }

    [Fact]
    public void Render_For8Gb_UsesHalfTheMemoryForTheBufferPool()
    {
        var settings = Parse(MariaDbConfigTemplate.Render(Config, 8192, null));

        Assert.Equal("4096M", settings["innodb_buffer_pool_size"]);
        Assert.Equal("256M", settings["innodb_log_file_size"]);
        Assert.Equal("682", settings["max_connections"]);
        Assert.Equal("ON", settings["performance_schema"]);
    }

    [Fact]
    public void Render_WithTheBinaryLog_WritesItInRowsIntoTheDataDirectory_AndKeepsHoardsTimeoutOut()
    {
        var overrides = new Dictionary<string, string> { [MariaDbConfigTemplate.ArchiveTimeoutKey] = "5" };
        var text = MariaDbConfigTemplate.Render(Config, 512, overrides, binaryLog: true);
        var settings = Parse(text);

        Assert.Equal("/srv/i1/data/mysql/binlog", settings["log_bin"]);
        Assert.Equal("ROW", settings["binlog_format"]);
        Assert.Equal("32M", settings["max_binlog_size"]);
        Assert.DoesNotContain(MariaDbConfigTemplate.ArchiveTimeoutKey, text, StringComparison.Ordinal);
        Assert.False(Parse(MariaDbConfigTemplate.Render(Config, 512, null)).ContainsKey("log_bin"));
        Assert.Equal(TimeSpan.FromSeconds(5), MariaDbConfigTemplate.ArchiveTimeout(overrides));
        Assert.Equal(TimeSpan.FromSeconds(60), MariaDbConfigTemplate.ArchiveTimeout(null));
        Assert.Throws<HandlerException>(() => MariaDbConfigTemplate.Render(Config, 512, new Dictionary<string, string> { ["log_bin"] = "/tmp/x" }, true));
    }

    [Theory]
    [InlineData(64, 16)]
    [InlineData(256, 64)]
    [InlineData(1024, 512)]
    [InlineData(2048, 1024)]
    public void BufferPoolMb_FollowsTheRuleOfThumb(int memoryMb, int expected) =>
        Assert.Equal(expected, MariaDbConfigTemplate.BufferPoolMb(memoryMb));

    [Fact]
    public void Render_PutsEverythingInTheInstanceDirectories()
    {
        var text = MariaDbConfigTemplate.Render(Config, 1024, null);
        var settings = Parse(text);

        Assert.StartsWith("# ", text, StringComparison.Ordinal);
        Assert.Contains("\n[mysqld]\n", text, StringComparison.Ordinal);
        Assert.Equal("/srv/i1/data/mysql", settings["datadir"]);
        Assert.Equal("/srv/i1/run/mysqld.sock", settings["socket"]);
        Assert.Equal("/srv/i1/run/mysqld.pid", settings["pid_file"]);
        Assert.Equal("/srv/i1/log/error.log", settings["log_error"]);
        Assert.Equal("/srv/i1/data/tmp", settings["tmpdir"]);
        Assert.Equal("10.1.2.3", settings["bind_address"]);
        Assert.Equal("13306", settings["port"]);
        Assert.Equal("0", settings["local_infile"]);
        Assert.Equal("0", settings["symbolic_links"]);
        Assert.Equal("utf8mb4", settings["character_set_server"]);
        Assert.Equal("utf8mb4_general_ci", settings["collation_server"]);
        Assert.Null(settings["skip_name_resolve"]);
    }

    [Fact]
    public void ServerId_IsStableAndInRange()
    {
        var id = MariaDbConfigTemplate.ServerId(Config.InstanceId);

        Assert.Equal(id, MariaDbConfigTemplate.ServerId(Config.InstanceId));
        Assert.NotEqual(id, MariaDbConfigTemplate.ServerId("another-instance"));
        Assert.InRange(id, 1u, (uint)int.MaxValue);
        Assert.Equal(id.ToString(), Parse(MariaDbConfigTemplate.Render(Config, 512, null))["server_id"]);
    }

    [Fact]
    public void Render_AppliesOverridesLast()
    {
        var overrides = new Dictionary<string, string> { ["max_connections"] = "321", ["wait_timeout"] = "600" };

        var text = MariaDbConfigTemplate.Render(Config, 512, overrides);
        var settings = Parse(text);

        Assert.Equal("321", settings["max_connections"]);
        Assert.Equal("600", settings["wait_timeout"]);
        Assert.Single(text.Split('\n'), line => line.StartsWith("max_connections", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("Max_Connections")]
    [InlineData("max-connections")]
    [InlineData("1abc")]
    [InlineData("a b")]
    [InlineData("x\n[client]")]
    [InlineData("")]
    public void Render_RejectsBadOverrideKeys(string key) =>
        AssertBadRequest(new Dictionary<string, string> { [key] = "1" });

    [Theory]
    [InlineData("datadir")]
    [InlineData("socket")]
    [InlineData("bind_address")]
    [InlineData("init_file")]
    [InlineData("secure_file_priv")]
    public void Render_RejectsOverridesOfWhatTheGuestManages(string key) =>
        AssertBadRequest(new Dictionary<string, string> { [key] = "/tmp/x" });

    [Fact]
    public void Render_RejectsMultiLineOverrideValues() =>
        AssertBadRequest(new Dictionary<string, string> { ["wait_timeout"] = "1\n[mysqld]\ninit_file=/tmp/x" });

    private static void AssertBadRequest(Dictionary<string, string> overrides)
    {
        var error = Assert.Throws<HandlerException>(() => MariaDbConfigTemplate.Render(Config, 512, overrides));
        Assert.Equal(GuestErrorCodes.BadRequest, error.Code);
    }

    private static Dictionary<string, string?> Parse(string text)
    {
        var settings = new Dictionary<string, string?>();
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line.StartsWith('#') || line.StartsWith('['))
                continue;
            var parts = line.Split(" = ", 2);
            settings.Add(parts[0], parts.Length == 2 ? parts[1] : null);
        }

        return settings;
    }
}

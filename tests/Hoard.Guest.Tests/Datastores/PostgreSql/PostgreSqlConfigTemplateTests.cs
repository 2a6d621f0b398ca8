using Hoard.Contracts.Bus;
using Hoard.Contracts.Guest;
using Hoard.Guest.Datastores.PostgreSql;

namespace Hoard.Guest.Tests.Datastores.PostgreSql;

public sealed class PostgreSqlConfigTemplateTests
{
    private static readonly GuestConfig Config = new()
    {
        InstanceId = "11111111-2222-3333-4444-555555555555",
        Manager = "postgresql",
        BusSocket = "/tmp/bus.sock",
        BusSecret = "unused",
        Address = "10.200.1.7",
        Port = 5432,
        Paths = new InstancePaths("/srv/i/data", "/srv/i/run", "/srv/i/log", "/srv/i/etc"),
    };

    [Theory]
    [InlineData(512, "76MB", "384MB", 51, "4MB", "32MB")]
    [InlineData(1024, "256MB", "768MB", 102, "3MB", "64MB")]
    [InlineData(4096, "1024MB", "3072MB", 409, "3MB", "256MB")]
    [InlineData(65536, "16384MB", "49152MB", 500, "49MB", "1024MB")]
    [InlineData(128, "19MB", "96MB", 20, "2MB", "16MB")]
    public void Settings_AreTunedToTheFlavor(int memoryMb, string sharedBuffers, string cache, int connections, string workMem, string maintenance)
    {
        var settings = PostgreSqlConfigTemplate.Settings(Config, memoryMb, null).ToDictionary(s => s.Key, s => s.Value);

        Assert.Equal(sharedBuffers, settings["shared_buffers"]);
        Assert.Equal(cache, settings["effective_cache_size"]);
        Assert.Equal(connections.ToString(System.Globalization.CultureInfo.InvariantCulture), settings["max_connections"]);
        Assert.Equal(workMem, settings["work_mem"]);
        Assert.Equal(maintenance, settings["maintenance_work_mem"]);
    }

    [Fact]
    public void Render_ListensOnTheInstanceAndKeepsItsSocketInTheRunDirectory()
    {
        var conf = PostgreSqlConfigTemplate.Render(Config, 1024, null);

        Assert.Contains("listen_addresses = '10.200.1.7'\n", conf, StringComparison.Ordinal);
        Assert.Contains("port = 5432\n", conf, StringComparison.Ordinal);
        Assert.Contains("unix_socket_directories = '/srv/i/run'\n", conf, StringComparison.Ordinal);
        Assert.Contains("password_encryption = scram-sha-256\n", conf, StringComparison.Ordinal);
    }

    [Fact]
    public void Archiving_IsOn_IntoTheSpoolOnTheVolume_AndOnlyItsTimeoutCanBeOverridden()
    {
        var settings = PostgreSqlConfigTemplate.Settings(Config, 1024, null).ToDictionary(s => s.Key, s => s.Value);

        Assert.Equal(("replica", "on", "60s"), (settings["wal_level"], settings["archive_mode"], settings["archive_timeout"]));
        Assert.StartsWith("'test -d \"/srv/i/data/wal-spool\" || exit 0; ", settings["archive_command"], StringComparison.Ordinal);
        Assert.Contains("cp --preserve=timestamps \"%p\" \"$t\" && sync \"$t\" && mv \"$t\" \"$f\"", settings["archive_command"], StringComparison.Ordinal);
        Assert.Equal("'5s'", PostgreSqlConfigTemplate.Settings(Config, 1024, new Dictionary<string, string> { ["archive_timeout"] = "5s" })
            .Single(s => s.Key == "archive_timeout").Value);
        foreach (var key in new[] { "archive_command", "archive_mode", "restore_command", "recovery_target_time", "wal_level" })
        {
            var refused = Assert.Throws<HandlerException>(() => PostgreSqlConfigTemplate.Settings(Config, 1024, new Dictionary<string, string> { [key] = "x" }));
            Assert.Contains("managed by the guest", refused.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("/srv/a\"b")]
    [InlineData("/srv/$(id)")]
    [InlineData("/srv/100%")]
    [InlineData("/srv/it's")]
    public void ArchiveCommand_RefusesPathsTheShellOrPostgreSqlWouldRead(string spool) =>
        Assert.Throws<InvalidOperationException>(() => PostgreSqlConfigTemplate.ArchiveCommand(spool));

    [Fact]
    public void Overrides_AreQuotedAndReplaceDefaults()
    {
        var conf = PostgreSqlConfigTemplate.Render(Config, 1024, new Dictionary<string, string>
        {
            ["work_mem"] = "8MB",
            ["application_name"] = "it's",
        });

        Assert.Contains("work_mem = '8MB'\n", conf, StringComparison.Ordinal);
        Assert.DoesNotContain("work_mem = 3MB", conf, StringComparison.Ordinal);
        Assert.Contains("application_name = 'it''s'\n", conf, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("listen_addresses", "*")]
    [InlineData("hba_file", "/tmp/x")]
    [InlineData("Work_Mem", "8MB")]
    [InlineData("work_mem", "8MB\nlisten_addresses = '*'")]
    [InlineData("work_mem", "8MB\\")]
    public void Overrides_ThatWouldCutTheGuestOffOrBreakTheFile_AreRefused(string key, string value)
    {
        var error = Assert.Throws<HandlerException>(() => PostgreSqlConfigTemplate.Render(Config, 1024, new Dictionary<string, string> { [key] = value }));
        Assert.Equal(GuestErrorCodes.BadRequest, error.Code);
    }

    [Fact]
    public void Hba_HasNoTrustAndRefusesSuperusersOverTcp()
    {
        var lines = PostgreSqlConfigTemplate.RenderHba().Split('\n').Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => string.Join(' ', l.Split(' ', StringSplitOptions.RemoveEmptyEntries))).ToList();

        Assert.DoesNotContain(lines, l => l.Contains("trust", StringComparison.Ordinal));
        Assert.Equal("local all os_admin scram-sha-256", lines[0]);
        Assert.Equal("local replication os_admin scram-sha-256", lines[1]);
        Assert.Single(lines, l => l.Contains("replication", StringComparison.Ordinal));
        Assert.Contains("host all postgres all reject", lines);
        Assert.Contains("host all os_admin all reject", lines);
        Assert.All(lines.Where(l => l.StartsWith("host", StringComparison.Ordinal) && !l.EndsWith("reject", StringComparison.Ordinal)),
            l => Assert.EndsWith("scram-sha-256", l, StringComparison.Ordinal));
    }

    [Fact]
    public void Ident_MapsOnlyTheGivenOsUsersToPostgres()
    {
        Assert.Equal("guest root postgres\nguest dbaas postgres\n",
            string.Join('\n', PostgreSqlConfigTemplate.RenderIdent(["root", "dbaas", "root"]).Split('\n').Skip(1)));
        Assert.Throws<InvalidOperationException>(() => PostgreSqlConfigTemplate.RenderIdent(["evil user"]));
    }
}

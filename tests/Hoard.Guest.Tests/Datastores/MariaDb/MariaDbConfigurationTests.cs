using Hoard.Contracts.Bus;
using Hoard.Contracts.Guest;
using Hoard.Guest.Datastores;
using Hoard.Guest.Datastores.MariaDb;

namespace Hoard.Guest.Tests.Datastores.MariaDb;

/// <summary>Configuration overrides applied to a real MariaDB prepared by the manager: live, at restart, refused.</summary>
public sealed class MariaDbConfigurationTests(MariaDbFixture fixture) : IClassFixture<MariaDbFixture>
{
    private static readonly CancellationToken None = CancellationToken.None;
    private MariaDbManager Manager => fixture.Manager;

    [Fact]
    public void Prepare_RecordsTheConfigurationOwnerOnly()
    {
        var path = Path.Combine(fixture.Instance.Config.Paths.Etc, ConfigurationState.FileName);

        Assert.Equal(MariaDbFixture.MemoryMb, ConfigurationState.Load(path)!.MemoryMb);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
    }

    [Fact]
    public async Task DynamicChange_IsLiveAtOnce_AndKeptAcrossARestart()
    {
        await ResetAsync();

        var result = await UpdateAsync(new() { ["max_connect_errors"] = "555", ["sql_mode"] = "STRICT_TRANS_TABLES,NO_ZERO_DATE", ["key_buffer_size"] = "2M" });

        Assert.Equal(["key_buffer_size", "max_connect_errors", "sql_mode"], result.Applied);
        Assert.Empty(result.PendingRestart);
        Assert.Equal("555", Global("max_connect_errors"));
        Assert.Equal("STRICT_TRANS_TABLES,NO_ZERO_DATE", Global("sql_mode"));
        Assert.Equal("2097152", Global("key_buffer_size"));

        await Manager.RestartAsync(None);

        Assert.Equal("555", Global("max_connect_errors"));
        Assert.Equal("STRICT_TRANS_TABLES,NO_ZERO_DATE", Global("sql_mode"));
    }

    [Fact]
    public async Task RestartRequiredChange_IsPendingAndNotLive_UntilARestart()
    {
        await ResetAsync();

        var result = await UpdateAsync(new() { ["max_connections"] = "77", ["max_connect_errors"] = "321" }, "max_connections");

        Assert.Equal(["max_connect_errors"], result.Applied);
        Assert.Equal(["max_connections"], result.PendingRestart);
        Assert.Equal("50", Global("max_connections"));
        Assert.Equal("321", Global("max_connect_errors"));

        await Manager.RestartAsync(None);

        Assert.Equal("77", Global("max_connections"));
    }

    [Fact]
    public async Task ReadOnlyVariable_IsPending_AndLiveAfterARestart()
    {
        await ResetAsync();
        var before = Global("back_log");

        var result = await UpdateAsync(new() { ["back_log"] = "33" });

        Assert.Empty(result.Applied);
        Assert.Equal(["back_log"], result.PendingRestart);
        Assert.Equal(before, Global("back_log"));
        Assert.NotEqual("33", before);

        await Manager.RestartAsync(None);

        Assert.Equal("33", Global("back_log"));
    }

    [Fact]
    public async Task RemovedOverride_ReturnsToTheFlavorDefault_OrTheServersDefault()
    {
        await ResetAsync();
        await UpdateAsync(new() { ["max_connections"] = "77", ["wait_timeout"] = "1234" });
        Assert.Equal("77", Global("max_connections"));
        Assert.Equal("1234", Global("wait_timeout"));

        var result = await UpdateAsync([]);

        Assert.Equal(["max_connections", "wait_timeout"], result.Applied);
        Assert.Equal("50", Global("max_connections"));
        Assert.Equal("28800", Global("wait_timeout"));
        Assert.DoesNotContain("wait_timeout", File.ReadAllText(Manager.Server.Paths.ConfigFile));
    }

    [Theory]
    [InlineData("max_connections", "abc")]
    [InlineData("binlog_format", "bogus")]
    [InlineData("no_such_variable", "1")]
    [InlineData("event_scheduler", "DISABLED")]
    public async Task RefusedValue_IsABadRequest_AndChangesNothing(string key, string value)
    {
        await ResetAsync();
        await UpdateAsync(new() { ["max_connect_errors"] = "444" });
        var file = File.ReadAllText(Manager.Server.Paths.ConfigFile);
        var configuration = await Manager.GetConfigurationAsync(None);

        // max_connections comes first in the file, so it is set before the refused key is tried (and set back).
        var error = await Assert.ThrowsAsync<HandlerException>(() =>
            UpdateAsync(new() { ["max_connections"] = "66", ["max_connect_errors"] = "555", [key] = value }));

        Assert.Equal(GuestErrorCodes.BadRequest, error.Code);
        Assert.Contains(key, error.Message, StringComparison.Ordinal);
        Assert.Equal("50", Global("max_connections"));
        Assert.Equal("444", Global("max_connect_errors"));
        Assert.Equal(file, File.ReadAllText(Manager.Server.Paths.ConfigFile));
        Assert.Equal(configuration, await Manager.GetConfigurationAsync(None));
    }

    [Fact]
    public async Task ProtectedKey_IsABadRequestNamingIt()
    {
        var error = await Assert.ThrowsAsync<HandlerException>(() => UpdateAsync(new() { ["datadir"] = "/tmp" }));

        Assert.Equal(GuestErrorCodes.BadRequest, error.Code);
        Assert.Contains("datadir", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetConfiguration_ShowsOverridesAndFlavorDefaults_WithoutHostPaths()
    {
        await ResetAsync();
        await UpdateAsync(new() { ["wait_timeout"] = "1234", ["max_connections"] = "60" });

        var values = await Manager.GetConfigurationAsync(None);

        Assert.Equal("1234", values["wait_timeout"]);
        Assert.Equal("60", values["max_connections"]);
        Assert.Equal("128M", values["innodb_buffer_pool_size"]);
        Assert.Equal("ON", values["skip_name_resolve"]);
        Assert.Equal(fixture.Instance.Config.Port.ToString(), values["port"]);
        Assert.DoesNotContain(values, kv => kv.Value.StartsWith('/'));
        Assert.False(values.ContainsKey("datadir") || values.ContainsKey("socket") || values.ContainsKey("tmpdir"));
    }

    [Fact]
    public async Task MissingState_IsTakenAsTheFlavorDefaults()
    {
        await ResetAsync();
        File.Delete(Path.Combine(fixture.Instance.Config.Paths.Etc, ConfigurationState.FileName));
        await Assert.ThrowsAsync<HandlerException>(() => Manager.GetConfigurationAsync(None));

        var result = await UpdateAsync(new() { ["max_connect_errors"] = "777" });

        Assert.Equal(["max_connect_errors"], result.Applied);
        Assert.Equal("777", (await Manager.GetConfigurationAsync(None))["max_connect_errors"]);
    }

    [Fact]
    public async Task SlowLogOfEverything_NeverRecordsTheGuestsPasswords()
    {
        await ResetAsync();
        await UpdateAsync(new() { ["slow_query_log"] = "ON", ["long_query_time"] = "0" });
        var password = "Slow-Log-" + Guid.NewGuid().ToString("N")[..12];
        var user = "slow" + Guid.NewGuid().ToString("N")[..8];

        await Manager.CreateUsersAsync([new UserSpec(user, password)], None);
        await Manager.ChangePasswordsAsync([new UserSpec(user, password + "2")], None);
        await Manager.DeleteUserAsync(new UserRef(user), None);
        await ResetAsync();

        var paths = fixture.Instance.Config.Paths;
        var leaks = new[] { paths.Data, paths.Log }
            .SelectMany(dir => Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories))
            .Where(file => file.EndsWith(".log", StringComparison.Ordinal) && File.ReadAllText(file).Contains(password, StringComparison.Ordinal))
            .ToList();
        Assert.True(leaks.Count == 0, $"the password is in {string.Join(", ", leaks)}");
        Assert.True(new FileInfo(Path.Combine(paths.Log, "slow.log")).Length > 0, "the slow log recorded nothing");
    }

    private Task<UpdateOverridesResult> UpdateAsync(Dictionary<string, string> overrides, params string[] restartRequired) =>
        Manager.UpdateOverridesAsync(new UpdateOverridesRequest(MariaDbFixture.MemoryMb, overrides, restartRequired), None);

    /// <summary>Back to the flavor defaults, restarting if an earlier test left a change waiting for one.</summary>
    private async Task ResetAsync()
    {
        if ((await UpdateAsync([])).PendingRestart.Count > 0)
            await Manager.RestartAsync(None);
    }

    private string? Global(string name)
    {
        using var admin = fixture.Admin();
        return Assert.Single(admin.Query($"SELECT @@GLOBAL.{name}"))[0];
    }
}

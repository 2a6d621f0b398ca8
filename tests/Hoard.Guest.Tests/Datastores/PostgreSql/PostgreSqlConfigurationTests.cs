using Hoard.Contracts.Bus;
using Hoard.Contracts.Guest;
using Hoard.Guest.Datastores.PostgreSql;
using Npgsql;

namespace Hoard.Guest.Tests.Datastores.PostgreSql;

/// <summary>Configuration overrides applied to a real PostgreSQL prepared by the manager: reloaded, at restart, refused.</summary>
public sealed class PostgreSqlConfigurationTests(PostgreSqlFixture fixture) : IClassFixture<PostgreSqlFixture>
{
    private static readonly CancellationToken None = CancellationToken.None;
    private static readonly string FlavorWorkMem = $"{PostgreSqlConfigTemplate.WorkMemMb(PostgreSqlFixture.MemoryMb)}MB";
    private static readonly string FlavorMaxConnections = PostgreSqlConfigTemplate.MaxConnections(PostgreSqlFixture.MemoryMb).ToString();
    private PostgreSqlManager Manager => fixture.Manager;

    [Fact]
    public async Task DynamicChange_IsLiveAtOnce_AndKeptAcrossARestart()
    {
        await ResetAsync();

        var result = await UpdateAsync(new() { ["work_mem"] = "8MB", ["statement_timeout"] = "90s", ["datestyle"] = "iso, dmy" });

        Assert.Equal(["datestyle", "statement_timeout", "work_mem"], result.Applied);
        Assert.Empty(result.PendingRestart);
        Assert.Equal("8MB", await ShowAsync("work_mem"));
        Assert.Equal("90s", await ShowAsync("statement_timeout"));
        Assert.Equal("ISO, DMY", await ShowAsync("datestyle"));

        await Manager.RestartAsync(None);

        Assert.Equal("8MB", await ShowAsync("work_mem"));
        Assert.Equal("90s", await ShowAsync("statement_timeout"));
    }

    [Fact]
    public async Task PostmasterSetting_IsPendingAndNotLive_UntilARestart()
    {
        await ResetAsync();

        var result = await UpdateAsync(new() { ["max_connections"] = "77", ["work_mem"] = "4096kB" });

        Assert.Equal(["work_mem"], result.Applied);
        Assert.Equal(["max_connections"], result.PendingRestart);
        Assert.Equal(FlavorMaxConnections, await ShowAsync("max_connections"));
        Assert.Equal("4MB", await ShowAsync("work_mem"));

        await Manager.RestartAsync(None);

        Assert.Equal("77", await ShowAsync("max_connections"));
    }

    [Fact]
    public async Task RestartRequiredDynamicSetting_IsNotTakenByTheReload_ButByTheRestart()
    {
        await ResetAsync();

        var result = await UpdateAsync(new() { ["lock_timeout"] = "7s", ["work_mem"] = "6MB" }, "lock_timeout");

        Assert.Equal(["work_mem"], result.Applied);
        Assert.Equal(["lock_timeout"], result.PendingRestart);
        Assert.Equal("6MB", await ShowAsync("work_mem"));
        Assert.Equal("0", await ShowAsync("lock_timeout"));
        Assert.Contains("lock_timeout = '7s'", File.ReadAllText(Manager.Server.Paths.ConfigFile));

        await Manager.RestartAsync(None);

        Assert.Equal("7s", await ShowAsync("lock_timeout"));
    }

    [Fact]
    public async Task RemovedOverride_ReturnsToTheFlavorDefault_OrTheServersDefault()
    {
        await ResetAsync();
        await UpdateAsync(new() { ["work_mem"] = "8MB", ["statement_timeout"] = "90s" });

        var result = await UpdateAsync([]);

        Assert.Equal(["statement_timeout", "work_mem"], result.Applied);
        Assert.Equal(FlavorWorkMem, await ShowAsync("work_mem"));
        Assert.Equal("0", await ShowAsync("statement_timeout"));
        Assert.DoesNotContain("statement_timeout", File.ReadAllText(Manager.Server.Paths.ConfigFile));
    }

    [Theory]
    [InlineData("work_mem", "lots")]
    [InlineData("enable_seqscan", "maybe")]
    [InlineData("shared_buffers", "lots")]
    [InlineData("no_such_parameter", "1")]
    public async Task RefusedValue_IsABadRequest_AndChangesNothing(string key, string value)
    {
        await ResetAsync();
        await UpdateAsync(new() { ["statement_timeout"] = "45s" });
        var file = File.ReadAllText(Manager.Server.Paths.ConfigFile);
        var configuration = await Manager.GetConfigurationAsync(None);

        var error = await Assert.ThrowsAsync<HandlerException>(() =>
            UpdateAsync(new() { ["statement_timeout"] = "20s", ["work_mem"] = "8MB", [key] = value }));

        Assert.Equal(GuestErrorCodes.BadRequest, error.Code);
        Assert.Contains(key, error.Message, StringComparison.Ordinal);
        Assert.Equal("45s", await ShowAsync("statement_timeout"));
        Assert.Equal(FlavorWorkMem, await ShowAsync("work_mem"));
        Assert.Equal(file, File.ReadAllText(Manager.Server.Paths.ConfigFile));
        Assert.Equal(configuration, await Manager.GetConfigurationAsync(None));
        Assert.DoesNotContain(Directory.GetFiles(Manager.Server.Paths.DataDirectory), path => Path.GetFileName(path).StartsWith("postgresql.conf.", StringComparison.Ordinal));
    }

    [Fact]
    public async Task GetConfiguration_ShowsOverridesAndFlavorDefaults_Unquoted_WithoutHostPaths()
    {
        await ResetAsync();
        await UpdateAsync(new() { ["work_mem"] = "8MB", ["application_name"] = "it's mine" });

        var values = await Manager.GetConfigurationAsync(None);

        Assert.Equal("8MB", values["work_mem"]);
        Assert.Equal("it's mine", values["application_name"]);
        Assert.Equal(FlavorMaxConnections, values["max_connections"]);
        Assert.Equal("iso, mdy", values["datestyle"]);
        Assert.Equal("127.0.0.1", values["listen_addresses"]);
        Assert.False(values.ContainsKey("unix_socket_directories"));
        Assert.DoesNotContain(values, kv => kv.Value.StartsWith('/') || kv.Value.StartsWith('\''));
    }

    [Fact]
    public async Task LoggingEveryStatement_NeverRecordsTheGuestsPasswords()
    {
        await ResetAsync();
        await UpdateAsync(new() { ["log_min_duration_statement"] = "0ms" });
        var password = "Slow-Log-" + Guid.NewGuid().ToString("N")[..12];
        var user = "slow" + Guid.NewGuid().ToString("N")[..8];

        await Manager.CreateUsersAsync([new UserSpec(user, password)], None);
        await Manager.ChangePasswordsAsync([new UserSpec(user, password + "2")], None);
        await Manager.DeleteUserAsync(new UserRef(user), None);
        await ResetAsync();

        var log = File.ReadAllText(PostgreSqlPaths.For(fixture.Instance.Config.Paths).ServerLog);
        Assert.DoesNotContain(password, log, StringComparison.Ordinal);
    }

    private Task<UpdateOverridesResult> UpdateAsync(Dictionary<string, string> overrides, params string[] restartRequired) =>
        Manager.UpdateOverridesAsync(new UpdateOverridesRequest(PostgreSqlFixture.MemoryMb, overrides, restartRequired), None);

    /// <summary>Back to the flavor defaults, restarting if an earlier test left a change waiting for one.</summary>
    private async Task ResetAsync()
    {
        if ((await UpdateAsync([])).PendingRestart.Count > 0)
            await Manager.RestartAsync(None);
    }

    /// <summary>The setting as a new session sees it.</summary>
    private async Task<string?> ShowAsync(string name)
    {
        await using var connection = await fixture.AdminAsync();
        await using var command = new NpgsqlCommand($"SHOW {name}", connection);
        return (string?)await command.ExecuteScalarAsync();
    }
}

using Hoard.Contracts.Bus;
using Hoard.Contracts.Guest;
using Hoard.Guest.Datastores.Redis;

namespace Hoard.Guest.Tests.Datastores.Redis;

/// <summary>Configuration overrides applied to a real Redis prepared by the manager: live, at restart, refused.</summary>
public sealed class RedisConfigurationTests(RedisFixture fixture) : IClassFixture<RedisFixture>
{
    private static readonly CancellationToken None = CancellationToken.None;
    private static readonly string FlavorMaxMemory = (RedisConfigTemplate.MaxMemoryMb(RedisFixture.MemoryMb) * 1024L * 1024).ToString();
    private RedisManager Manager => fixture.Manager;

    [Fact]
    public async Task DynamicChange_IsLiveAtOnce_AndKeptAcrossARestart()
    {
        await ResetAsync();

        var result = await UpdateAsync(new() { ["maxmemory-policy"] = "allkeys-lru", ["maxmemory"] = "268435456", ["hz"] = "20" });

        Assert.Equal(["hz", "maxmemory", "maxmemory-policy"], result.Applied);
        Assert.Empty(result.PendingRestart);
        Assert.Equal("allkeys-lru", ConfigGet("maxmemory-policy"));
        Assert.Equal("268435456", ConfigGet("maxmemory"));
        Assert.Equal("20", ConfigGet("hz"));

        await Manager.RestartAsync(None);

        Assert.Equal("allkeys-lru", ConfigGet("maxmemory-policy"));
        Assert.Equal("20", ConfigGet("hz"));
    }

    [Fact]
    public async Task RestartRequiredChange_IsPendingAndNotLive_UntilARestart()
    {
        await ResetAsync();

        var result = await UpdateAsync(new() { ["maxmemory-policy"] = "volatile-lru", ["databases"] = "32", ["hz"] = "15" }, "maxmemory-policy");

        Assert.Equal(["hz"], result.Applied);
        Assert.Equal(["databases", "maxmemory-policy"], result.PendingRestart);
        Assert.Equal(RedisConfigTemplate.EvictionPolicy, ConfigGet("maxmemory-policy"));
        Assert.Equal("16", ConfigGet("databases"));
        Assert.Equal("15", ConfigGet("hz"));

        await Manager.RestartAsync(None);

        Assert.Equal("volatile-lru", ConfigGet("maxmemory-policy"));
        Assert.Equal("32", ConfigGet("databases"));
    }

    [Fact]
    public async Task RemovedOverride_ReturnsToTheFlavorDefault_OrWaitsForARestart()
    {
        await ResetAsync();
        await UpdateAsync(new() { ["maxmemory"] = "268435456", ["hz"] = "25" });

        var result = await UpdateAsync([]);

        Assert.Equal(["maxmemory"], result.Applied);
        Assert.Equal(["hz"], result.PendingRestart);
        Assert.Equal(FlavorMaxMemory, ConfigGet("maxmemory"));
        Assert.Equal("25", ConfigGet("hz"));
        Assert.DoesNotContain("hz", File.ReadAllText(Manager.Server.Paths.ConfigFile));

        await Manager.RestartAsync(None);

        Assert.Equal("10", ConfigGet("hz"));
    }

    [Fact]
    public async Task NewFlavor_AppliesItsDefaultsLive()
    {
        await ResetAsync();

        var result = await Manager.UpdateOverridesAsync(new UpdateOverridesRequest(1024, new Dictionary<string, string>(), []), None);

        Assert.Equal(["maxmemory"], result.Applied);
        Assert.Equal((RedisConfigTemplate.MaxMemoryMb(1024) * 1024L * 1024).ToString(), ConfigGet("maxmemory"));
        Assert.Equal($"{RedisConfigTemplate.MaxMemoryMb(1024)}mb", (await Manager.GetConfigurationAsync(None))["maxmemory"]);
    }

    [Theory]
    [InlineData("maxmemory-policy", "bogus")]
    [InlineData("hz", "often")]
    [InlineData("no-such-setting", "1")]
    public async Task RefusedValue_IsABadRequest_AndChangesNothing(string key, string value)
    {
        await ResetAsync();
        await UpdateAsync(new() { ["timeout"] = "300" });
        var file = File.ReadAllText(Manager.Server.Paths.ConfigFile);
        var configuration = await Manager.GetConfigurationAsync(None);

        // maxmemory comes first in the file, so it is set before the refused key is tried (and set back).
        var error = await Assert.ThrowsAsync<HandlerException>(() =>
            UpdateAsync(new() { ["maxmemory"] = "268435456", ["timeout"] = "600", [key] = value }));

        Assert.Equal(GuestErrorCodes.BadRequest, error.Code);
        Assert.Contains(key, error.Message, StringComparison.Ordinal);
        Assert.Equal(FlavorMaxMemory, ConfigGet("maxmemory"));
        Assert.Equal("300", ConfigGet("timeout"));
        Assert.Equal(RedisConfigTemplate.EvictionPolicy, ConfigGet("maxmemory-policy"));
        Assert.Equal(file, File.ReadAllText(Manager.Server.Paths.ConfigFile));
        Assert.Equal(configuration, await Manager.GetConfigurationAsync(None));
    }

    [Fact]
    public async Task GetConfiguration_ShowsOverridesAndFlavorDefaults_WithoutHostPaths()
    {
        await ResetAsync();
        await UpdateAsync(new() { ["maxmemory-policy"] = "allkeys-lru", ["save"] = "3600 1" });

        var values = await Manager.GetConfigurationAsync(None);

        Assert.Equal("allkeys-lru", values["maxmemory-policy"]);
        Assert.Equal("3600 1", values["save"]);
        Assert.Equal($"{RedisConfigTemplate.MaxMemoryMb(RedisFixture.MemoryMb)}mb", values["maxmemory"]);
        Assert.Equal("yes", values["appendonly"]);
        Assert.False(values.ContainsKey("proc-title-template") || values.ContainsKey("dir") || values.ContainsKey("unixsocket"));
        Assert.DoesNotContain(values, kv => kv.Value.Trim('"').StartsWith('/'));
    }

    private Task<UpdateOverridesResult> UpdateAsync(Dictionary<string, string> overrides, params string[] restartRequired) =>
        Manager.UpdateOverridesAsync(new UpdateOverridesRequest(RedisFixture.MemoryMb, overrides, restartRequired), None);

    /// <summary>Back to the flavor defaults, restarting if an earlier test left a change waiting for one.</summary>
    private async Task ResetAsync()
    {
        if ((await UpdateAsync([])).PendingRestart.Count > 0)
            await Manager.RestartAsync(None);
    }

    private string ConfigGet(string name)
    {
        using var admin = fixture.Admin();
        var reply = admin.Execute("CONFIG", "GET", name).AsArray();
        return reply[1].AsString();
    }
}

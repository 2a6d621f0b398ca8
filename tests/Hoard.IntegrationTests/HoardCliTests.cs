using System.Text.Json.Nodes;
using Hoard.IntegrationTests.Infrastructure;

namespace Hoard.IntegrationTests;

/// <summary>The <c>hoard</c> CLI, the built binary as users run it, against hoard-server, end to end.</summary>
[Collection(HoardServerCollection.Name)]
[Trait("Category", "Integration")]
public sealed class HoardCliTests(HoardServerFixture server) : IDisposable
{
    private const string AppPassword = "Cli-App-Pw-1";
    private const string ReporterPassword = "Cli-Reporter-Pw-1";
    private readonly string _configHome = "/tmp/hoard-cli-it-" + Guid.NewGuid().ToString("N")[..8];

    [Fact]
    public async Task Cli_CreatesUsesBacksUpAndDeletesAnInstance()
    {
        var created = await OkAsync("instance", "create", "cli-e2e", "--flavor", "m1.tiny", "--size", "1", "--datastore", "mariadb",
            "--datastore-version", "10.11", "--database", "shop", "--user", $"app:{AppPassword}", "--wait", "--timeout", "180", "-o", "json");
        var instance = JsonNode.Parse(created.Stdout)!.AsObject();
        Assert.Equal("ACTIVE", instance["status"]!.GetValue<string>());
        Assert.Matches(@"\[\s*\d+\.\ds\] instance cli-e2e: BUILD\n(.*\n)*\[\s*\d+\.\ds\] instance cli-e2e: ACTIVE", created.Stderr);
        var ip = instance["ip"]![0]!.GetValue<string>();
        Assert.Equal($"mysql://root@{ip}:3306/", instance["connection"]!.GetValue<string>());

        var listed = JsonNode.Parse((await OkAsync("instance", "list", "-o", "json")).Stdout)!.AsArray();
        Assert.Contains(listed, i => i!["name"]!.GetValue<string>() == "cli-e2e" && i["status"]!.GetValue<string>() == "ACTIVE");
        Assert.Contains("connection: mysql://root@", (await OkAsync("instance", "show", "cli-e2e", "-o", "yaml")).Stdout, StringComparison.Ordinal);
        const string typed = "hoard instance show cli-e";
        Assert.Contains("cli-e2e", (await OkAsync($"[suggest:{typed.Length}]", typed)).Stdout.Split('\n', StringSplitOptions.TrimEntries));

        await OkAsync("database", "create", "cli-e2e", "orders");
        var databases = JsonNode.Parse((await OkAsync("database", "list", "cli-e2e", "-o", "json")).Stdout)!.AsArray();
        Assert.Equal(["orders", "shop"], databases.Select(d => d!["name"]!.GetValue<string>()).Order(StringComparer.Ordinal));

        var userCreate = await RunAsync(["user", "create", "cli-e2e", "reporter", "--database", "orders", "--password-stdin"], stdin: ReporterPassword);
        Assert.True(userCreate.Succeeded, userCreate.ToString());
        Assert.DoesNotContain(ReporterPassword, userCreate.Stdout + userCreate.Stderr, StringComparison.Ordinal);
        await MariaDbClient.QueryOkAsync(ip, "reporter", ReporterPassword, "orders", "CREATE TABLE t (id INT PRIMARY KEY)");

        var connected = await RunAsync(["connect", "cli-e2e", "--user", "reporter", "--database", "orders", "--password-stdin", "--",
            "-N", "-e", "SELECT 40 + 2"], stdin: ReporterPassword);
        Assert.True(connected.Succeeded, connected.ToString());
        Assert.Equal("42", connected.Stdout.Trim());

        var backup = await OkAsync("backup", "create", "cli-nightly", "--instance", "cli-e2e", "--wait", "--timeout", "180", "-o", "json");
        Assert.Equal("COMPLETED", JsonNode.Parse(backup.Stdout)!["status"]!.GetValue<string>());
        Assert.Contains("backup cli-nightly: COMPLETED", backup.Stderr, StringComparison.Ordinal);
        var backups = JsonNode.Parse((await OkAsync("backup", "list", "--instance", "cli-e2e", "-o", "json")).Stdout)!.AsArray();
        Assert.Contains(backups, b => b!["name"]!.GetValue<string>() == "cli-nightly");

        var deleted = await OkAsync("instance", "delete", "cli-e2e", "--wait", "--timeout", "120");
        Assert.Contains("instance cli-e2e: DELETED", deleted.Stderr, StringComparison.Ordinal);
        var gone = await RunAsync(["instance", "show", "cli-e2e"]);
        Assert.Equal(4, gone.ExitCode);
        Assert.Equal("hoard: No instance is named or has the id 'cli-e2e'.", gone.Stderr.Trim());
    }

    [Fact]
    public async Task Cli_ManagesConfigurationGroupsRootSchedulesAndQuotas()
    {
        await OkAsync("instance", "create", "cli-ops", "--flavor", "m1.tiny", "--size", "1", "--datastore", "mariadb",
            "--datastore-version", "10.11", "--wait", "--timeout", "180");

        var group = JsonNode.Parse((await OkAsync("configuration", "create", "cli-tuned", "--values", """{"max_connections": 321}""",
            "--datastore", "mariadb", "--datastore-version", "10.11", "-o", "json")).Stdout)!;
        Assert.Equal(321, group["values"]!["max_connections"]!.GetValue<int>());
        await OkAsync("configuration", "attach", "cli-ops", "cli-tuned");
        var attached = JsonNode.Parse((await OkAsync("configuration", "instances", "cli-tuned", "-o", "json")).Stdout)!.AsArray();
        Assert.Equal("cli-ops", Assert.Single(attached)!["name"]!.GetValue<string>());
        string? running = null;
        await Poll.UntilAsync(async () => (running = JsonNode.Parse((await OkAsync("configuration", "default", "cli-ops", "-o", "json")).Stdout)!
                ["max_connections"]?.ToString()) == "321",
            "configuration default never showed the attached group's max_connections", 60, () => running ?? "nothing");
        var refused = await RunAsync(["configuration", "delete", "cli-tuned"]);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("(HTTP 400)", refused.Stderr, StringComparison.Ordinal);
        await OkAsync("configuration", "detach", "cli-ops");
        await OkAsync("configuration", "delete", "cli-tuned");

        var root = JsonNode.Parse((await OkAsync("root", "enable", "cli-ops", "-o", "json")).Stdout)!;
        var ip = JsonNode.Parse((await OkAsync("instance", "show", "cli-ops", "-o", "json")).Stdout)!["ip"]![0]!.GetValue<string>();
        Assert.Equal("1", (await MariaDbClient.QueryOkAsync(ip, "root", root["password"]!.GetValue<string>(), null, "SELECT 1")).Trim());
        Assert.True(JsonNode.Parse((await OkAsync("root", "show", "cli-ops", "-o", "json")).Stdout)!["rootEnabled"]!.GetValue<bool>());

        var schedule = JsonNode.Parse((await OkAsync("backup-schedule", "set", "cli-ops", "--cron", "0 3 * * *", "--keep-count", "7",
            "-o", "json")).Stdout)!;
        Assert.Equal("0 3 * * *", schedule["cron"]!.GetValue<string>());
        Assert.Equal(7, schedule["retention"]!["count"]!.GetValue<int>());
        await OkAsync("backup-schedule", "remove", "cli-ops");
        Assert.Equal(4, (await RunAsync(["backup-schedule", "show", "cli-ops"])).ExitCode);

        var quotas = JsonNode.Parse((await OkAsync("quota", "show", "-o", "json")).Stdout)!.AsArray();
        Assert.True(quotas.Single(q => q!["resource"]!.GetValue<string>() == "instances")!["in_use"]!.GetValue<int>() >= 1);
        await OkAsync("instance", "delete", "cli-ops", "--wait", "--timeout", "120");
    }

    [Theory]
    [InlineData("no-such-flavor", "1", "hoard: No flavor is named or has the id 'no-such-flavor'.")]
    [InlineData("m1.tiny", "100000", "(HTTP 413)")]
    public async Task Cli_RefusedCreate_IsOneReadableLine_AndExit1(string flavor, string size, string message)
    {
        var result = await RunAsync(["instance", "create", "cli-bad", "--flavor", flavor, "--size", size, "--datastore", "mariadb",
            "--datastore-version", "10.11", "--wait"]);
        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("hoard: ", line, StringComparison.Ordinal);
        Assert.Contains(message, line, StringComparison.Ordinal);
        Assert.Equal("", result.Stdout);
    }

    [Fact]
    public async Task Cli_Login_KeepsAPrivateToken_ThatLaterCommandsUse_UntilLogout()
    {
        var login = await RunAsync(["login", "--auth-url", server.OpenRc["OS_AUTH_URL"], "--username", "admin", "--project", "demo",
            "--password-stdin", "-o", "json"], stdin: server.AdminPassword, credentials: false);
        Assert.True(login.Succeeded, login.ToString());
        var configFile = Path.Combine(_configHome, "hoard", "config.json");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(configFile));
        Assert.DoesNotContain(server.AdminPassword, await File.ReadAllTextAsync(configFile), StringComparison.Ordinal);

        var whoami = await RunAsync(["whoami", "-o", "json"], credentials: false);
        Assert.True(whoami.Succeeded, whoami.ToString());
        Assert.Equal(server.Admin.ProjectId, JsonNode.Parse(whoami.Stdout)!["project_id"]!.GetValue<string>());
        var flavors = await RunAsync(["flavor", "list", "-o", "json"], credentials: false);
        Assert.True(flavors.Succeeded, flavors.ToString());
        Assert.Contains(JsonNode.Parse(flavors.Stdout)!.AsArray(), f => f!["name"]!.GetValue<string>() == "m1.tiny");

        Assert.True((await RunAsync(["logout"], credentials: false)).Succeeded);
        Assert.False(File.Exists(configFile));
        Assert.Equal(3, (await RunAsync(["flavor", "list"], credentials: false)).ExitCode);
    }

    [Fact]
    public async Task Cli_ListsAnInstancesEventsAndMetrics_AndTheAuditLog()
    {
        var shared = await server.GetSharedInstanceAsync();
        var events = JsonNode.Parse((await OkAsync("event", "list", "--instance", shared.Id, "--limit", "100", "-o", "json")).Stdout)!.AsArray();
        Assert.Contains(events, e => e!["type"]!.GetValue<string>() == "task_succeeded" &&
                                     e["message"]!.GetValue<string>() == "provision_instance succeeded");
        Assert.All(events, e => Assert.Equal(shared.Id, e!["instance_id"]!.GetValue<string>()));
        Assert.Single(JsonNode.Parse((await OkAsync("event", "list", "--limit", "1", "-o", "json")).Stdout)!.AsArray());

        JsonNode? latest = null;
        await Poll.UntilAsync(
            async () => (latest = JsonNode.Parse((await OkAsync("instance", "metrics", shared.Id, "-o", "json")).Stdout))?["time"] is not null,
            "No metrics sample of the shared instance arrived", 30, () => latest?.ToJsonString() ?? "nothing");
        Assert.True(latest!["volume_size_bytes"]!.GetValue<long>() > 0);
        var table = (await OkAsync("instance", "metrics", shared.Id)).Stdout;
        Assert.Matches(@"volume_used\s*│\s*[\d.]+ [KMG]?i?B of [\d.]+ [KMG]iB \(\d+ %\)", table);
        var history = JsonNode.Parse((await OkAsync("instance", "metrics", shared.Id, "--history", "-o", "json")).Stdout)!.AsArray();
        Assert.NotEmpty(history);

        var audit = JsonNode.Parse((await OkAsync("admin", "audit", "--project", server.Admin.ProjectId, "--limit", "10", "-o", "json")).Stdout)!
            .AsArray();
        Assert.NotEmpty(audit);
        Assert.All(audit, a => Assert.Equal(server.Admin.ProjectId, a!["project_id"]!.GetValue<string>()));
        Assert.All(audit, a => Assert.Contains(a!["method"]!.GetValue<string>(), (string[])["POST", "PUT", "PATCH", "DELETE"]));
    }

    [Fact]
    public async Task Cli_BackupStrategies_OnLocalStorage_ListNone_AndCreateIsOneReadableLine_Exit1()
    {
        Assert.Equal("[]", (await OkAsync("backup-strategy", "list", "-o", "json")).Stdout.Trim());

        var created = await RunAsync(["backup-strategy", "create", "--swift-container", "team-a"]);
        Assert.Equal(1, created.ExitCode);
        var line = Assert.Single(created.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("hoard: backup_strategy.swift_container: containers apply to Swift backup storage", line, StringComparison.Ordinal);
        Assert.EndsWith("(HTTP 501)", line, StringComparison.Ordinal);
        Assert.Equal("", created.Stdout);

        Assert.Equal("Deleted the backup strategy of your project.", (await OkAsync("backup-strategy", "delete")).Stdout.Trim());
    }

    [Fact]
    public async Task Cli_WrongPassword_IsAnAuthError_Exit3()
    {
        var result = await RunAsync(["login", "--auth-url", server.OpenRc["OS_AUTH_URL"], "--username", "admin", "--project", "demo",
            "--password-stdin"], stdin: "not-the-password", credentials: false);
        Assert.Equal(3, result.ExitCode);
        Assert.StartsWith("hoard: Login of admin to project demo failed:", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("(HTTP 401)", result.Stderr, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        if (Directory.Exists(_configHome))
        {
            Directory.Delete(_configHome, recursive: true);
        }
    }

    private async Task<ProcessResult> OkAsync(params string[] arguments)
    {
        var result = await RunAsync(arguments);
        Assert.True(result.Succeeded, result.ToString());
        return result;
    }

    private Task<ProcessResult> RunAsync(string[] arguments, string? stdin = null, bool credentials = true) =>
        HoardCliProcess.RunAsync(server, _configHome, arguments, stdin, credentials);
}

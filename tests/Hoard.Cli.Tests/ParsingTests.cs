using System.CommandLine;
using Hoard.Cli.Commands;
using Hoard.Cli.Output;

namespace Hoard.Cli.Tests;

public sealed class ParsingTests
{
    private static RootCommand Root(TestEnvironment environment) =>
        HoardCli.BuildRoot(new CliServices(environment.Environment, new HttpClient(), TimeProvider.System));

    [Theory]
    [InlineData("instance", "create", "shop", "--flavor", "2", "--size", "1", "--datastore", "mariadb", "--datastore-version", "10.11",
        "--database", "shop", "--user", "app:pw", "--wait", "--timeout", "60", "-o", "json")]
    [InlineData("instance", "resize-volume", "shop", "5", "--wait")]
    [InlineData("instance", "replication-mode", "shop", "synchronous")]
    [InlineData("user", "grant", "shop", "app", "orders", "sales", "--host", "%")]
    [InlineData("backup", "create", "nightly", "--instance", "shop", "--incremental", "-w")]
    [InlineData("backup-schedule", "set", "shop", "--cron", "0 3 * * *", "--keep-count", "7")]
    [InlineData("configuration", "create", "tuned", "--values", "{\"max_connections\": 300}", "--datastore", "mariadb", "--datastore-version", "10.11")]
    [InlineData("quota", "update", "p1", "instances=20", "ram=-1")]
    [InlineData("connect", "shop", "--user", "app", "--", "-e", "SELECT 1")]
    [InlineData("completion", "zsh")]
    [InlineData("backup-strategy", "create", "--instance", "shop", "--swift-container", "team-a")]
    [InlineData("backup-strategy", "list", "--project", "p1")]
    [InlineData("backup-strategy", "delete", "--instance", "shop")]
    [InlineData("event", "list", "--instance", "shop", "--limit", "50")]
    [InlineData("instance", "metrics", "shop", "--history", "-o", "yaml")]
    [InlineData("instance", "list", "--watch")]
    [InlineData("configuration", "default", "shop")]
    [InlineData("admin", "rotate-wal-token", "0b0e5f3c-8a9e-4d55-9c1b-3c1f1f3f9a11")]
    [InlineData("admin", "audit", "--project", "p1", "--limit", "1000")]
    public void Parse_ValidCommandLines_HaveNoErrors(params string[] args)
    {
        using var environment = new TestEnvironment();
        var parse = Root(environment).Parse(args);
        Assert.True(parse.Errors.Count == 0, string.Join("; ", parse.Errors.Select(e => e.Message)));
    }

    [Theory]
    [InlineData("json", nameof(OutputFormat.Json))]
    [InlineData("YAML", nameof(OutputFormat.Yaml))]
    [InlineData("table", nameof(OutputFormat.Table))]
    public void Output_IsAcceptedOnAnySubcommand_CaseInsensitively(string given, string expected)
    {
        using var environment = new TestEnvironment();
        var parse = Root(environment).Parse(["flavor", "list", "--output", given]);
        Assert.Empty(parse.Errors);
        Assert.Equal(Enum.Parse<OutputFormat>(expected), parse.GetValue<OutputFormat>(GlobalOptions.OutputName));
    }

    [Theory]
    [InlineData("instance", "create")]
    [InlineData("instance", "frobnicate")]
    [InlineData("flavor", "list", "--output", "xml")]
    [InlineData("instance", "replication-mode", "shop", "sometimes")]
    [InlineData("instance", "restart", "shop", "--timeout", "0")]
    [InlineData("backup", "create", "nightly")]
    [InlineData("backup-strategy", "create", "--instance", "shop")]
    [InlineData("event", "list", "--limit", "0")]
    [InlineData("admin", "audit", "--limit", "1001")]
    [InlineData("instance", "metrics")]
    public async Task UsageErrors_ExitWith2_AndSayWhatIsWrongWithoutAStackTrace(params string[] args)
    {
        using var environment = new TestEnvironment();
        Assert.Equal(ExitCodes.Usage, await environment.RunAsync(args));
        var error = environment.Error.ToString();
        Assert.StartsWith("hoard: ", error, StringComparison.Ordinal);
        Assert.Contains("--help", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
        Assert.Equal("", environment.Out.ToString());
    }

    [Fact]
    public async Task ACommandWithoutCredentials_ExitsWith3_AndSaysHowToLogIn()
    {
        using var environment = new TestEnvironment();
        Assert.Equal(ExitCodes.Auth, await environment.RunAsync("instance", "list"));
        Assert.Equal("hoard: Not logged in: run `hoard login`, or set OS_AUTH_URL, OS_USERNAME, OS_PASSWORD and OS_PROJECT_NAME.",
            environment.Error.ToString().Trim());
    }

    [Fact]
    public async Task AnUnreachableServer_IsOneLine_AndExit1()
    {
        using var environment = new TestEnvironment(new Dictionary<string, string>
        {
            ["OS_AUTH_URL"] = "http://127.0.0.1:9/v3", ["OS_USERNAME"] = "u", ["OS_PASSWORD"] = "p", ["OS_PROJECT_NAME"] = "demo",
        });
        Assert.Equal(ExitCodes.Failed, await environment.RunAsync("flavor", "list"));
        var error = environment.Error.ToString().TrimEnd();
        Assert.StartsWith("hoard: Cannot reach http://127.0.0.1:9", error, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error);
    }

    [Theory]
    [InlineData("bash", "complete -o default -F _hoard_complete hoard")]
    [InlineData("zsh", "compdef _hoard hoard")]
    [InlineData("fish", "complete -c hoard")]
    public async Task Completion_PrintsAScriptThatAsksHoardForSuggestions(string shell, string registration)
    {
        using var environment = new TestEnvironment();
        Assert.Equal(ExitCodes.Ok, await environment.RunAsync("completion", shell));
        Assert.Contains(registration, environment.Out.ToString(), StringComparison.Ordinal);
        Assert.Contains("[suggest:", environment.Out.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SuggestDirective_CompletesSubcommands()
    {
        using var environment = new TestEnvironment();
        Assert.Equal(ExitCodes.Ok, await environment.RunAsync("[suggest:18]", "hoard instance res"));
        var suggestions = environment.Out.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(["resize-flavor", "resize-volume", "restart"], suggestions.Order(StringComparer.Ordinal));
    }
}

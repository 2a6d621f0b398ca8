using System.CommandLine;
using Hoard.Cli.Commands;

namespace Hoard.Cli.Tests.Commands;

public sealed class LogCommandsTests
{
    private static RootCommand Root(TestEnvironment environment) =>
        HoardCli.BuildRoot(new CliServices(environment.Environment, new HttpClient(), TimeProvider.System));

    [Theory]
    [InlineData("log", "list", "shop")]
    [InlineData("log", "show", "shop", "slow_query", "-o", "json")]
    [InlineData("log", "enable", "shop", "slow_query")]
    [InlineData("log", "disable", "shop", "general")]
    [InlineData("log", "publish", "shop", "error")]
    [InlineData("log", "discard", "shop", "error")]
    [InlineData("log", "tail", "shop", "slow_query", "--lines", "0")]
    public void Parse_LogCommands_HaveNoErrors(params string[] args)
    {
        using var environment = new TestEnvironment();
        var parse = Root(environment).Parse(args);
        Assert.True(parse.Errors.Count == 0, string.Join("; ", parse.Errors.Select(e => e.Message)));
    }

    [Theory]
    [InlineData("log", "enable", "shop")]
    [InlineData("log", "tail", "shop", "slow_query", "--lines", "many")]
    [InlineData("log", "rotate", "shop", "slow_query")]
    public async Task Parse_IncompleteLogCommands_AreUsageErrors(params string[] args)
    {
        using var environment = new TestEnvironment();
        Assert.Equal(ExitCodes.Usage, await environment.RunAsync(args));
    }
}

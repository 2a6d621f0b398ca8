namespace Hoard.Cli.Tests.Commands;

public sealed class LogoutCommandTests
{
    [Fact]
    public async Task Logout_RemovesAStoredLoginItCannotRead()
    {
        using var environment = new TestEnvironment();
        Directory.CreateDirectory(Path.GetDirectoryName(environment.Environment.ConfigPath)!);
        await File.WriteAllTextAsync(environment.Environment.ConfigPath, "not json");
        Assert.Equal(ExitCodes.Ok, await environment.RunAsync("logout"));
        Assert.False(File.Exists(environment.Environment.ConfigPath));
    }

    [Fact]
    public async Task Logout_WithoutALogin_SaysSo()
    {
        using var environment = new TestEnvironment();
        Assert.Equal(ExitCodes.Ok, await environment.RunAsync("logout"));
        Assert.Equal("Not logged in.", environment.Out.ToString().Trim());
    }
}

namespace Hoard.Cli;

/// <summary>What the CLI reads from and writes to outside itself, so that tests can give it their own.</summary>
internal sealed record CliEnvironment(Func<string, string?> Variable, TextWriter Out, TextWriter Error, TextReader In, bool Interactive)
{
    public static CliEnvironment FromProcess() => new(
        Environment.GetEnvironmentVariable, Console.Out, Console.Error, Console.In,
        Interactive: !Console.IsOutputRedirected && !Console.IsErrorRedirected && !Console.IsInputRedirected);

    /// <summary><c>$XDG_CONFIG_HOME/hoard/config.json</c>, else <c>~/.config/hoard/config.json</c>.</summary>
    public string ConfigPath
    {
        get
        {
            var root = Variable("XDG_CONFIG_HOME") is { Length: > 0 } xdg
                ? xdg
                : Path.Combine(Variable("HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config");
            return Path.Combine(root, "hoard", "config.json");
        }
    }
}

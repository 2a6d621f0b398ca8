namespace Hoard.Cli.Tests;

/// <summary>A CLI environment of the test's own: chosen variables, captured output, a config dir under /tmp.</summary>
internal sealed class TestEnvironment : IDisposable
{
    private readonly Dictionary<string, string> _variables;

    public TestEnvironment(Dictionary<string, string>? variables = null, string input = "")
    {
        ConfigHome = Path.Combine(Path.GetTempPath(), "hoard-cli-test-" + Guid.NewGuid().ToString("N")[..8]);
        _variables = new Dictionary<string, string>(variables ?? []) { ["XDG_CONFIG_HOME"] = ConfigHome };
        Environment = new CliEnvironment(name => _variables.GetValueOrDefault(name), Out, Error, new StringReader(input), Interactive: false);
    }

    public string ConfigHome { get; }

    public StringWriter Out { get; } = new();

    public StringWriter Error { get; } = new();

    public CliEnvironment Environment { get; }

    public Task<int> RunAsync(params string[] args) => HoardCli.RunAsync(args, Environment);

    public void Dispose()
    {
        if (Directory.Exists(ConfigHome))
        {
            Directory.Delete(ConfigHome, recursive: true);
        }
    }
}

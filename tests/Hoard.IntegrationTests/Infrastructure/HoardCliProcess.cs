using System.Reflection;

namespace Hoard.IntegrationTests.Infrastructure;

/// <summary>The built <c>hoard</c> binary, run against a test server with a config dir of its own.</summary>
internal static class HoardCliProcess
{
    /// <summary>Runs <c>hoard</c> with the server's admin credentials and a fresh config dir; fails the test unless it succeeded; its stdout.</summary>
    public static async Task<string> OkAsync(HoardServerFixture server, params string[] arguments)
    {
        var configHome = Path.Combine(server.DataDir, "hoard-cli-" + Guid.NewGuid().ToString("N")[..8]);
        var result = await RunAsync(server, configHome, arguments);
        Assert.True(result.Succeeded, result.ToString());
        return result.Stdout;
    }

    /// <summary>
    /// Runs <c>hoard</c> with <paramref name="configHome"/> as its XDG config dir and, when <paramref name="credentials"/>,
    /// the server's admin-openrc.sh variables (no other OS_* of the caller's). A secret for <c>--password-stdin</c>
    /// goes through <c>sh</c> from an environment variable, never as an argument.
    /// </summary>
    public static Task<ProcessResult> RunAsync(HoardServerFixture server, string configHome, string[] arguments, string? stdin = null,
        bool credentials = true)
    {
        var environment = Environment.GetEnvironmentVariables().Keys.Cast<string>()
            .Where(k => k.StartsWith("OS_", StringComparison.Ordinal))
            .ToDictionary(k => k, string? (_) => null);
        if (credentials)
        {
            foreach (var (key, value) in server.OpenRc)
                environment[key] = value;
        }

        environment["XDG_CONFIG_HOME"] = configHome;
        if (stdin is null)
            return ProcessRunner.RunAsync(Binary(), arguments, environment, timeoutSeconds: 300);
        environment["HOARD_TEST_STDIN"] = stdin;
        return ProcessRunner.RunAsync("sh", ["-c", "printf '%s\\n' \"$HOARD_TEST_STDIN\" | \"$0\" \"$@\"", Binary(), .. arguments],
            environment, timeoutSeconds: 300);
    }

    private static string Binary()
    {
        var configuration = typeof(HoardCliProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Hoard.slnx")))
            dir = dir.Parent;
        Assert.True(dir is not null, $"No Hoard.slnx above {AppContext.BaseDirectory}");
        var binary = Path.Combine(dir.FullName, "src", "Hoard.Cli", "bin", configuration, "net10.0", "hoard");
        Assert.True(File.Exists(binary), $"hoard is not built at {binary}; build the solution first.");
        return binary;
    }
}

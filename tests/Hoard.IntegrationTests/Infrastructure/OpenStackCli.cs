namespace Hoard.IntegrationTests.Infrastructure;

/// <summary>The <c>openstack</c> client (Debian's python3-openstackclient with python3-troveclient), unmodified, against a test server.</summary>
internal static class OpenStackCli
{
    /// <summary>Runs <c>openstack</c> with the server's admin-openrc.sh credentials and nothing else from the caller's OS_* settings.</summary>
    public static Task<ProcessResult> RunAsync(HoardServerFixture server, params string[] arguments)
    {
        var environment = new Dictionary<string, string?>();
        foreach (var key in Environment.GetEnvironmentVariables().Keys.Cast<string>().Where(k => k.StartsWith("OS_", StringComparison.Ordinal)))
        {
            environment[key] = null;
        }

        foreach (var (key, value) in server.OpenRc)
        {
            environment[key] = value;
        }

        return ProcessRunner.RunAsync("openstack", arguments, environment, timeoutSeconds: 90);
    }

    /// <summary>Runs <c>openstack</c> and fails the test unless it succeeded; its standard output.</summary>
    public static async Task<string> OkAsync(HoardServerFixture server, params string[] arguments)
    {
        var result = await RunAsync(server, arguments);
        Assert.True(result.Succeeded, result.ToString());
        return result.Stdout;
    }
}

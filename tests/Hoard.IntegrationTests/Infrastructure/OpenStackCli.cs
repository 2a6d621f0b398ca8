namespace Hoard.IntegrationTests.Infrastructure;

/// <summary>The <c>openstack</c> client (Debian's python3-openstackclient with python3-troveclient), unmodified, against a test server.</summary>
internal static class OpenStackCli
{
    /// <summary>Runs <c>openstack</c> with the server's admin-openrc.sh credentials and nothing else from the caller's OS_* settings.</summary>
    public static Task<ProcessResult> RunAsync(HoardServerFixture server, params string[] arguments) =>
        RunAsync(server.OpenRc, arguments);

    /// <summary>Runs <c>openstack</c> as another user: the admin's openrc with that user's name, password and project.</summary>
    public static Task<ProcessResult> RunAsAsync(HoardServerFixture server, string user, string password, string project,
        params string[] arguments)
    {
        var openRc = new Dictionary<string, string>(server.OpenRc)
        {
            ["OS_USERNAME"] = user, ["OS_PASSWORD"] = password, ["OS_PROJECT_NAME"] = project,
        };
        return RunAsync(openRc, arguments);
    }

    /// <summary>
    /// Runs <c>openstack --os-auth-type v3applicationcredential --os-application-credential-id ID …</c> against the server,
    /// with no user or project settings; the secret goes through the environment, never the command line.
    /// </summary>
    public static Task<ProcessResult> RunWithApplicationCredentialAsync(HoardServerFixture server, string id, string secret,
        params string[] arguments) =>
        RunWithApplicationCredentialAsync(server.OpenRc["OS_AUTH_URL"], id, secret, arguments);

    /// <summary>As <see cref="RunWithApplicationCredentialAsync(HoardServerFixture, string, string, string[])"/>, against any Keystone.</summary>
    public static Task<ProcessResult> RunWithApplicationCredentialAsync(string authUrl, string id, string secret, params string[] arguments)
    {
        var environment = new Dictionary<string, string>
        {
            ["OS_AUTH_URL"] = authUrl, ["OS_IDENTITY_API_VERSION"] = "3", ["OS_APPLICATION_CREDENTIAL_SECRET"] = secret,
        };
        return RunAsync(environment, ["--os-auth-type", "v3applicationcredential", "--os-application-credential-id", id, .. arguments]);
    }

    /// <summary>Runs <c>openstack</c> with exactly these <c>OS_*</c> settings (an openrc's, or another Keystone's).</summary>
    public static Task<ProcessResult> RunWithAsync(IReadOnlyDictionary<string, string> openRc, params string[] arguments) =>
        RunAsync(openRc, arguments);

    private static Task<ProcessResult> RunAsync(IReadOnlyDictionary<string, string> openRc, string[] arguments)
    {
        var environment = new Dictionary<string, string?>();
        foreach (var key in Environment.GetEnvironmentVariables().Keys.Cast<string>().Where(k => k.StartsWith("OS_", StringComparison.Ordinal)))
        {
            environment[key] = null;
        }

        foreach (var (key, value) in openRc)
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

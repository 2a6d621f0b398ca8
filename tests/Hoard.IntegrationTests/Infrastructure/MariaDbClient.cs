namespace Hoard.IntegrationTests.Infrastructure;

/// <summary>The <c>mariadb</c> command-line client; the password travels in MYSQL_PWD, never on the command line.</summary>
internal static class MariaDbClient
{
    /// <param name="host">An address, or <c>address:port</c> (3306 when left out).</param>
    public static Task<ProcessResult> QueryAsync(string host, string user, string password, string? database, string sql) =>
        ProcessRunner.RunAsync("mariadb",
            ["--no-defaults", "-h", HostPort.Host(host), "-P", HostPort.Port(host, 3306), "-u", user, "--batch", "--skip-column-names", "--connect-timeout=10",
             .. database is null ? Array.Empty<string>() : [database], "-e", sql],
            new Dictionary<string, string?> { ["MYSQL_PWD"] = password });

    public static async Task<string> QueryOkAsync(string host, string user, string password, string? database, string sql)
    {
        var result = await QueryAsync(host, user, password, database, sql);
        Assert.True(result.Succeeded, $"mariadb as {user} on {host} failed: {result}");
        return result.Stdout;
    }
}

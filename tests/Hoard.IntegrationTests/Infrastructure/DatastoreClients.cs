namespace Hoard.IntegrationTests.Infrastructure;

/// <summary><c>psql</c> with the password in PGPASSWORD, never on the command line.</summary>
internal static class PsqlClient
{
    /// <param name="host">An address, or <c>address:port</c> (5432 when left out).</param>
    public static Task<ProcessResult> QueryAsync(string host, string user, string password, string database, string sql) =>
        ProcessRunner.RunAsync("psql", ["-h", HostPort.Host(host), "-p", HostPort.Port(host, 5432), "-U", user, "-d", database, "-v", "ON_ERROR_STOP=1", "-Atc", sql],
            new Dictionary<string, string?> { ["PGPASSWORD"] = password, ["PGCONNECT_TIMEOUT"] = "10" });

    public static async Task<string> QueryOkAsync(string host, string user, string password, string database, string sql)
    {
        var result = await QueryAsync(host, user, password, database, sql);
        Assert.True(result.Succeeded, $"psql as {user} on {host} failed: {result}");
        return result.Stdout.Trim();
    }
}

/// <summary><c>redis-cli</c> with the password in REDISCLI_AUTH, never on the command line.</summary>
internal static class RedisCli
{
    /// <summary>The reply (or the error) as redis-cli prints it.</summary>
    public static async Task<string> RunAsync(string host, string? user, string? password, params string[] command)
    {
        var arguments = new List<string> { "-h", HostPort.Host(host), "-p", HostPort.Port(host, 6379) };
        if (user is not null)
        {
            arguments.AddRange(["--user", user]);
        }

        arguments.AddRange(command);
        var environment = new Dictionary<string, string?>();
        if (password is not null)
        {
            environment["REDISCLI_AUTH"] = password;
        }

        var result = await ProcessRunner.RunAsync("redis-cli", arguments, environment);
        return result.Stdout + result.Stderr;
    }
}

/// <summary>An instance's address, or a write endpoint's <c>address:port</c>.</summary>
internal static class HostPort
{
    public static string Host(string host) => host.Split(':')[0];

    public static string Port(string host, int defaultPort) =>
        host.Split(':') is [_, var port] ? port : defaultPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

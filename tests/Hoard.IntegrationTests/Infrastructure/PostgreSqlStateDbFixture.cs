using Hoard.Persistence;
using Hoard.Tests.Shared;

namespace Hoard.IntegrationTests.Infrastructure;

/// <summary>
/// A private PostgreSQL and a hoard-server with <c>Hoard:StateDb=postgresql</c> on a database of its own. The connection
/// string the server gets has no password: that comes from a 0600 file named in its environment, as an operator would
/// set it up. Nothing starts where <see cref="PostgreSqlStateServer.SkipReason"/> says the tests are skipped.
/// </summary>
public sealed class PostgreSqlStateDbFixture : IAsyncLifetime
{
    private readonly DirectoryInfo _secrets = Directory.CreateTempSubdirectory("hoard-it-pgpass-");

    public PostgreSqlStateServer Postgres { get; } = new();

    public HoardServerFixture Server { get; private set; } = null!;

    public string Database { get; private set; } = "";

    /// <summary>The state DB as the test reads it (with the password, which the server reads from its file).</summary>
    public StateDb StateDb { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        if (PostgreSqlStateServer.SkipReason is not null)
        {
            return;
        }

        try
        {
            await Postgres.InitializeAsync();
            Database = await Postgres.CreateDatabaseAsync();
            StateDb = StateDb.PostgreSql(Postgres.ConnectionString(Database));
            var passwordFile = Path.Combine(_secrets.FullName, "statedb.password");
            await File.WriteAllTextAsync(passwordFile, Postgres.Password + "\n");
            File.SetUnixFileMode(passwordFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            var server = new HoardServerFixture(new Dictionary<string, string>
            {
                ["Hoard__AutomaticFailover"] = "false",
                ["Hoard__StateDb"] = "postgresql",
                ["Hoard__StateDbConnectionString"] =
                    $"Host=127.0.0.1;Port={Postgres.Port};Database={Database};Username={PostgreSqlStateServer.User}",
                ["Hoard__StateDbPasswordFile"] = passwordFile,
            }, StateDb);
            await server.InitializeAsync();
            Server = server;
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    public async Task DisposeAsync()
    {
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }

        // Also when skipped: the server's temp dir exists from its construction.
        await Postgres.DisposeAsync();
        _secrets.Delete(recursive: true);
    }
}

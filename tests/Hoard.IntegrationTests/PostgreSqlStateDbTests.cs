using Dapper;
using Hoard.IntegrationTests.Infrastructure;

namespace Hoard.IntegrationTests;

/// <summary>
/// A hoard-server whose state is in PostgreSQL, end to end: it migrates the empty database, creates its first users
/// there, and a MariaDB instance goes through create, ACTIVE, a database and a user, and delete, with every row in
/// PostgreSQL and no SQLite file made. The database password reaches neither a command line nor the server's log.
/// </summary>
[Collection(PostgreSqlStateDbCollection.Name)]
[Trait("Category", "Integration")]
public sealed class PostgreSqlStateDbTests(PostgreSqlStateDbFixture fixture)
{
    private HoardServerFixture Server => fixture.Server;

    private TroveClient Client => fixture.Server.Client;

    [PostgreSqlStateFact]
    public async Task Instance_WithThePostgreSqlStateDb_BecomesActive_GetsADatabaseAndAUser_AndIsDeleted()
    {
        var admin = Server.Admin;
        var created = await Client.CreateInstanceAsync(admin, TroveClient.InstanceBody("pg-state", "shop", "app", "PgState-App-1"));
        var id = created["id"]!.GetValue<string>();
        await Client.WaitForActiveAsync(admin, id);

        TroveClient.Expect(await Client.PostAsync(admin, $"instances/{id}/databases", """{"databases":[{"name":"ledger"}]}"""), 202);
        TroveClient.Expect(await Client.PostAsync(admin, $"instances/{id}/users",
            """{"users":[{"name":"clerk","password":"Clerk-Pass-2","databases":[{"name":"ledger"}]}]}"""), 202);
        var databases = TroveClient.Expect(await Client.GetAsync(admin, $"instances/{id}/databases"), 200).Object["databases"]!.AsArray();
        string[] names = [.. databases.Select(d => d!["name"]!.GetValue<string>()).Order(StringComparer.Ordinal)];
        Assert.Equal(["ledger", "shop"], names);
        var users = TroveClient.Expect(await Client.GetAsync(admin, $"instances/{id}/users"), 200).Object["users"]!.AsArray();
        Assert.Contains(users, u => u!["name"]!.GetValue<string>() == "clerk");

        await using (var connection = await fixture.StateDb.OpenAsync(default))
        {
            var row = await connection.QuerySingleAsync<(string ServerStatus, string ServiceStatus)>(
                "SELECT server_status, service_status FROM instances WHERE id = @id", new { id });
            Assert.Equal("Active", row.ServerStatus);
            Assert.Contains(row.ServiceStatus, new[] { "Healthy", "Running" });
            Assert.Equal((long)Hoard.Persistence.StateDb.SchemaVersion, await connection.ExecuteScalarAsync<long>("SELECT MAX(version) FROM schema_version"));
        }

        Assert.False(File.Exists(Path.Combine(Server.DataDir, "state.db")), "hoard-server made a SQLite state DB with Hoard:StateDb=postgresql");
        Assert.True(Server.ServerLogged(l => l.Contains($"State DB: postgresql host=127.0.0.1 port={fixture.Postgres.Port} database={fixture.Database}",
            StringComparison.Ordinal)), $"hoard-server did not report its PostgreSQL state DB:\n{Server.ServerLog}");
        var leaking = ProcessTable.Mentioning(fixture.Postgres.Password);
        Assert.True(leaking.Count == 0, $"the state DB password is on a command line: {ProcessTable.Describe(leaking)}");
        Assert.False(Server.ServerLogged(l => l.Contains(fixture.Postgres.Password, StringComparison.Ordinal)), "hoard-server logged the state DB password");

        TroveClient.Expect(await Client.DeleteAsync(admin, $"instances/{id}"), 202);
        await Client.WaitUntilGoneAsync(admin, id);
        await using (var connection = await fixture.StateDb.OpenAsync(default))
        {
            Assert.Equal(1L, await connection.ExecuteScalarAsync<long>("SELECT deleted FROM instances WHERE id = @id", new { id }));
        }
    }
}

using System.Text.Json.Nodes;
using Hoard.IntegrationTests.Infrastructure;

namespace Hoard.IntegrationTests;

/// <summary>A PostgreSQL instance through the same Trove API and the stock psql client.</summary>
[Collection(HoardServerCollection.Name)]
[Trait("Category", "Integration")]
public sealed class PostgreSqlInstanceTests(HoardServerFixture server)
{
    private const string Password = "Pg-App-123";

    private TroveClient Client => server.Client;

    private TroveSession Admin => server.Admin;

    [Fact]
    public async Task PostgreSqlInstance_FromCreateToDelete()
    {
        var body = TroveClient.InstanceBody("pg", "shop", "app", Password);
        body["instance"]!["datastore"] = new JsonObject { ["type"] = "postgresql", ["version"] = "15" };
        var id = (await Client.CreateInstanceAsync(Admin, body))["id"]!.GetValue<string>();
        var active = await Client.WaitForActiveAsync(Admin, id);
        Assert.Equal("postgresql", active["datastore"]!["type"]!.GetValue<string>());
        var ip = active["ip"]![0]!.GetValue<string>();

        var written = await PsqlClient.QueryAsync(ip, "app", Password, "shop", "CREATE TABLE t (v int); INSERT INTO t VALUES (42); SELECT v FROM t;");
        Assert.True(written.Succeeded && written.Stdout.Contains("42", StringComparison.Ordinal), written.ToString());
        var superuser = await PsqlClient.QueryAsync(ip, "postgres", "guess", "shop", "SELECT 1");
        Assert.False(superuser.Succeeded, $"postgres logged in over TCP: {superuser}");

        TroveClient.Expect(await Client.PostAsync(Admin, $"instances/{id}/databases", """{"databases":[{"name":"reports"}]}"""), 202);
        var databases = TroveClient.Expect(await Client.GetAsync(Admin, $"instances/{id}/databases"), 200);
        Assert.Contains("\"reports\"", databases.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("template1", databases.Text, StringComparison.Ordinal);
        var duplicate = await Client.PostAsync(Admin, $"instances/{id}/databases", """{"databases":[{"name":"reports"}]}""");
        Assert.True(duplicate.Status == 400, duplicate.ToString());

        TroveClient.Expect(await Client.PutAsync(Admin, $"instances/{id}/users/app/databases", """{"databases":[{"name":"reports"}]}"""), 202);
        var inReports = await PsqlClient.QueryAsync(ip, "app", Password, "reports", "CREATE TABLE r (v int)");
        Assert.True(inReports.Succeeded, inReports.ToString());

        TroveClient.Expect(await Client.DeleteAsync(Admin, $"instances/{id}"), 202);
        await Client.WaitUntilGoneAsync(Admin, id);
    }
}

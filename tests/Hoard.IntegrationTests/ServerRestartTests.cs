using Hoard.IntegrationTests.Infrastructure;

namespace Hoard.IntegrationTests;

/// <summary>hoard-server may die at any moment: running databases must not notice, and unfinished work must resume.</summary>
[Collection(HoardServerCollection.Name)]
[Trait("Category", "Integration")]
public sealed class ServerRestartTests(HoardServerFixture server)
{
    private TroveClient Client => server.Client;

    private TroveSession Admin => server.Admin;

    [Fact]
    public async Task Provisioning_InterruptedByAServerCrash_ResumesAndBecomesActive()
    {
        var created = await Client.CreateInstanceAsync(Admin, TroveClient.InstanceBody("resume", "shop", "app", "Resume-App-1"));
        var id = created["id"]!.GetValue<string>();

        await server.CrashAndRestartServerAsync();

        var active = await Client.WaitForActiveAsync(Admin, id);
        var ip = active["ip"]![0]!.GetValue<string>();
        var answer = await MariaDbClient.QueryOkAsync(ip, "app", "Resume-App-1", "shop", "SELECT DATABASE()");
        Assert.Contains("shop", answer, StringComparison.Ordinal);

        TroveClient.Expect(await Client.DeleteAsync(Admin, $"instances/{id}"), 202);
        await Client.WaitUntilGoneAsync(Admin, id);
    }

    [Fact]
    public async Task RunningInstance_SurvivesAServerCrash_AndIsManagedAfterwards()
    {
        var created = await Client.CreateInstanceAsync(Admin, TroveClient.InstanceBody("survivor", "shop", "app", "Survive-App-1"));
        var id = created["id"]!.GetValue<string>();
        var ip = (await Client.WaitForActiveAsync(Admin, id))["ip"]![0]!.GetValue<string>();
        await MariaDbClient.QueryOkAsync(ip, "app", "Survive-App-1", "shop",
            "CREATE TABLE kept (v INT); INSERT INTO kept VALUES (7);");

        await server.CrashAndRestartServerAsync();

        // The database never stopped; the guest reconnects to the new server and answers calls again.
        Assert.Contains("7", await MariaDbClient.QueryOkAsync(ip, "app", "Survive-App-1", "shop", "SELECT v FROM kept"), StringComparison.Ordinal);
        await Poll.UntilAsync(async () => (await Client.GetAsync(Admin, $"instances/{id}/databases")).Status == 200,
            "the guest did not answer list_databases after the server restart", 30);
        var databases = await Client.GetAsync(Admin, $"instances/{id}/databases");
        Assert.Contains("shop", databases.ToString(), StringComparison.Ordinal);

        TroveClient.Expect(await Client.DeleteAsync(Admin, $"instances/{id}"), 202);
        await Client.WaitUntilGoneAsync(Admin, id);
        Assert.False(Directory.Exists(Path.Combine(server.DataDir, "instances", id)), "the instance directory outlived the delete");
    }
}

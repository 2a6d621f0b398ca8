using Hoard.IntegrationTests.Infrastructure;

namespace Hoard.IntegrationTests;

/// <summary>An ACTIVE instance whose guest and server died (a host reboot, say) comes back by itself.</summary>
[Collection(HoardServerCollection.Name)]
[Trait("Category", "Integration")]
public sealed class GuestReconcilerTests(HoardServerFixture server)
{
    private TroveClient Client => server.Client;

    private TroveSession Admin => server.Admin;

    [Fact]
    public async Task KilledGuestAndServer_AreStartedAgain_WithTheirData()
    {
        const string password = "Reborn-App-1";
        var id = (await Client.CreateInstanceAsync(Admin, TroveClient.InstanceBody("reborn", "shop", "app", password)))["id"]!.GetValue<string>();
        var ip = (await Client.WaitForActiveAsync(Admin, id))["ip"]![0]!.GetValue<string>();
        await MariaDbClient.QueryOkAsync(ip, "app", password, "shop", "CREATE TABLE kept (v INT); INSERT INTO kept VALUES (11);");

        var processes = ProcessTable.Mentioning(id);
        Assert.True(processes.Count >= 2, $"expected the guest and mariadbd: {ProcessTable.Describe(processes)}");
        foreach (var (pid, _) in processes)
        {
            System.Diagnostics.Process.GetProcessById(pid).Kill();
        }

        await Poll.UntilAsync(async () => (await MariaDbClient.QueryAsync(ip, "app", password, "shop", "SELECT v FROM kept")).Stdout.Contains("11", StringComparison.Ordinal),
            "the instance did not come back after its guest and server were killed", 60, () => ProcessTable.Describe(ProcessTable.Mentioning(id)));
        await Client.WaitForActiveAsync(Admin, id);

        TroveClient.Expect(await Client.DeleteAsync(Admin, $"instances/{id}"), 202);
        await Client.WaitUntilGoneAsync(Admin, id);
        await Poll.UntilAsync(() => Task.FromResult(ProcessTable.Mentioning(id).Count == 0),
            "processes of the deleted instance are still running", 15, () => ProcessTable.Describe(ProcessTable.Mentioning(id)));
    }
}

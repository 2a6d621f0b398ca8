using Hoard.IntegrationTests.Infrastructure;
using RabbitMQ.Client;

namespace Hoard.IntegrationTests;

/// <summary>
/// A hoard-server on the RabbitMQ bus, end to end: its guest joins the broker (not the embedded socket, which is not
/// even opened), heartbeats bring the instance to ACTIVE, a database is created and listed through calls to the guest,
/// and the instance is deleted. The broker password reaches neither a command line nor the server's log.
/// </summary>
[Collection(RabbitMqServerCollection.Name)]
[Trait("Category", "Integration")]
public sealed class RabbitMqBusTests(RabbitMqServerFixture fixture)
{
    private HoardServerFixture Server => fixture.Server;

    private TroveClient Client => fixture.Server.Client;

    [RabbitMqFact]
    public async Task Instance_OnTheRabbitMqBus_BecomesActive_AnswersCalls_AndIsDeleted()
    {
        var admin = Server.Admin;
        var created = await Client.CreateInstanceAsync(admin, TroveClient.InstanceBody("over-amqp", "shop", "app", "Amqp-App-1"));
        var id = created["id"]!.GetValue<string>();
        await Client.WaitForActiveAsync(admin, id);

        Assert.False(File.Exists(Path.Combine(Server.DataDir, "run", "bus.sock")), "hoard-server opened the embedded bus socket with Hoard:Bus=rabbitmq");
        Assert.Equal(1u, await ConsumersAsync("guest." + id));
        var config = Path.Combine(Server.DataDir, "instances", id, "guest.json");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(config));
        Assert.Contains("\"rabbit_mq_url\":\"amqp://", await File.ReadAllTextAsync(config), StringComparison.Ordinal);

        TroveClient.Expect(await Client.PostAsync(admin, $"instances/{id}/databases", """{"databases":[{"name":"ledger"}]}"""), 202);
        var databases = TroveClient.Expect(await Client.GetAsync(admin, $"instances/{id}/databases"), 200).Object["databases"]!.AsArray();
        string[] names = [.. databases.Select(d => d!["name"]!.GetValue<string>()).Order(StringComparer.Ordinal)];
        Assert.Equal(["ledger", "shop"], names);

        var password = fixture.Broker.Options.Url.UserInfo.Split(':', 2)[1];
        var leaking = ProcessTable.Mentioning(password);
        Assert.True(leaking.Count == 0, $"the broker password is on a command line: {ProcessTable.Describe(leaking)}");
        var guestLog = await File.ReadAllTextAsync(Path.Combine(Server.DataDir, "instances", id, "log", "guest.log"));
        Assert.DoesNotContain(password, guestLog, StringComparison.Ordinal);
        Assert.Contains($"Joining the RabbitMQ bus at amqp://127.0.0.1:{fixture.Broker.Options.Url.Port}/", guestLog, StringComparison.Ordinal);
        Assert.False(Server.ServerLogged(l => l.Contains(password, StringComparison.Ordinal)), "hoard-server logged the broker password");
        Assert.True(Server.ServerLogged(l => l.Contains("Bus: rabbitmq", StringComparison.Ordinal)), $"hoard-server did not report the rabbitmq bus:\n{Server.ServerLog}");

        TroveClient.Expect(await Client.DeleteAsync(admin, $"instances/{id}"), 202);
        await Client.WaitUntilGoneAsync(admin, id);
    }

    private async Task<uint> ConsumersAsync(string queue)
    {
        await using var connection = await new ConnectionFactory { Uri = fixture.Broker.Options.Url }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        return (await channel.QueueDeclarePassiveAsync(queue)).ConsumerCount;
    }
}

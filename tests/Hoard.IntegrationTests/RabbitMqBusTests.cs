using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Hoard.Contracts;
using Hoard.Contracts.Bus;
using Hoard.Contracts.Conductor;
using Hoard.Contracts.Guest;
using Hoard.IntegrationTests.Infrastructure;
using Hoard.Messaging.RabbitMq;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Hoard.IntegrationTests;

/// <summary>
/// A hoard-server on the RabbitMQ bus with per-guest broker users, end to end: its guest joins the broker as its own
/// user (not the embedded socket, which is not even opened), heartbeats bring the instance to ACTIVE, a database is
/// created and listed through calls to the guest, another guest's user cannot read its queue or report about it, and
/// the instance is deleted with its broker user. The broker passwords reach neither a command line nor a log.
/// </summary>
[Collection(RabbitMqServerCollection.Name)]
[Trait("Category", "Integration")]
public sealed class RabbitMqBusTests(RabbitMqServerFixture fixture)
{
    private HoardServerFixture Server => fixture.Server;

    private TroveClient Client => fixture.Server.Client;

    [RabbitMqFact]
    public async Task Instance_OnTheRabbitMqBus_WithItsOwnBrokerUser_BecomesActive_AnswersCalls_IsNotImpersonated_AndIsDeletedWithItsUser()
    {
        var admin = Server.Admin;
        var created = await Client.CreateInstanceAsync(admin, TroveClient.InstanceBody("over-amqp", "shop", "app", "Amqp-App-1"));
        var id = created["id"]!.GetValue<string>();
        await Client.WaitForActiveAsync(admin, id);

        Assert.False(File.Exists(Path.Combine(Server.DataDir, "run", "bus.sock")), "hoard-server opened the embedded bus socket with Hoard:Bus=rabbitmq");
        Assert.Equal(1u, await ConsumersAsync("guest." + id));
        var config = Path.Combine(Server.DataDir, "instances", id, "guest.json");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(config));
        var guestUrl = new Uri(JsonNode.Parse(await File.ReadAllTextAsync(config))!["rabbit_mq_url"]!.GetValue<string>());
        var serverPassword = fixture.Broker.Admin.Password;
        // The guest has its own user and password, not the server's.
        Assert.Equal(BrokerNames.GuestUser(id), Uri.UnescapeDataString(guestUrl.UserInfo.Split(':')[0]));
        var guestPassword = Uri.UnescapeDataString(guestUrl.UserInfo.Split(':', 2)[1]);
        Assert.NotEqual(serverPassword, guestPassword);
        Assert.DoesNotContain(serverPassword, await File.ReadAllTextAsync(config), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, await ManagementStatusAsync(HttpMethod.Get, "users/" + BrokerNames.GuestUser(id)));

        TroveClient.Expect(await Client.PostAsync(admin, $"instances/{id}/databases", """{"databases":[{"name":"ledger"}]}"""), 202);
        var databases = TroveClient.Expect(await Client.GetAsync(admin, $"instances/{id}/databases"), 200).Object["databases"]!.AsArray();
        string[] names = [.. databases.Select(d => d!["name"]!.GetValue<string>()).Order(StringComparer.Ordinal)];
        Assert.Equal(["ledger", "shop"], names);

        await AnotherGuestCannotReadOrReportAboutAsync(id);

        foreach (var password in new[] { serverPassword, guestPassword })
        {
            var leaking = ProcessTable.Mentioning(password);
            Assert.True(leaking.Count == 0, $"a broker password is on a command line: {ProcessTable.Describe(leaking)}");
            var guestLog = await File.ReadAllTextAsync(Path.Combine(Server.DataDir, "instances", id, "log", "guest.log"));
            Assert.DoesNotContain(password, guestLog, StringComparison.Ordinal);
            Assert.False(Server.ServerLogged(l => l.Contains(password, StringComparison.Ordinal)), "hoard-server logged a broker password");
        }

        Assert.Contains($"Joining the RabbitMQ bus at amqp://127.0.0.1:{fixture.Broker.Options.Url.Port}/",
            await File.ReadAllTextAsync(Path.Combine(Server.DataDir, "instances", id, "log", "guest.log")), StringComparison.Ordinal);
        Assert.True(Server.ServerLogged(l => l.Contains("Bus: rabbitmq", StringComparison.Ordinal)), $"hoard-server did not report the rabbitmq bus:\n{Server.ServerLog}");
        Assert.True(Server.ServerLogged(l => l.Contains("Broker users: one per guest", StringComparison.Ordinal)), "hoard-server did not report broker users");

        TroveClient.Expect(await Client.DeleteAsync(admin, $"instances/{id}"), 202);
        await Client.WaitUntilGoneAsync(admin, id);
        Assert.Equal(HttpStatusCode.NotFound, await ManagementStatusAsync(HttpMethod.Get, "users/" + BrokerNames.GuestUser(id)));
        await Assert.ThrowsAnyAsync<BrokerUnreachableException>(() => new ConnectionFactory { Uri = guestUrl }.CreateConnectionAsync());
    }

    [RabbitMqFact]
    public async Task AHostAgentsBrokerUser_IsMadeByAnAdmin_ConnectsAsTheAgentDoes_AndIsDeleted()
    {
        var name = "h-" + Guid.NewGuid().ToString("N")[..8];
        var path = $"mgmt/hosts/{name}/broker-user";
        TroveClient.Expect(await Client.PostAsync(Server.Other, path, null), 401);
        foreach (var bad in new[] { "a.b", "a%2A", "a%20b", new string('h', 65) })
        {
            var refused = TroveClient.Expect(await Client.PostAsync(Server.Admin, $"mgmt/hosts/{bad}/broker-user", null), 400);
            Assert.Equal(400, refused.Object["badRequest"]!["code"]!.GetValue<int>());
        }

        var made = TroveClient.Expect(await Client.PostAsync(Server.Admin, path, null), 201).Object["broker_user"]!;
        Assert.Equal(BrokerNames.HostUser(name), made["name"]!.GetValue<string>());
        Assert.Equal("/", made["vhost"]!.GetValue<string>());
        var password = made["password"]!.GetValue<string>();
        Assert.False(Server.ServerLogged(l => l.Contains(password, StringComparison.Ordinal)), "hoard-server logged a host's broker password");
        var url = new UriBuilder(fixture.Broker.Options.Url) { UserName = BrokerNames.HostUser(name), Password = password }.Uri;
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using (var agent = await RabbitMqBus.ConnectAsync(new RabbitMqOptions
                     {
                         Url = url, Restricted = true, InboxOwner = BrokerNames.HostInboxOwner(name),
                     }, cancellationToken: cancel.Token))
        {
            await using var subscription = await agent.SubscribeAsync("host." + name, (_, _) => Task.FromResult<System.Text.Json.JsonElement?>(null), cancel.Token);
            Assert.Equal(1u, await ConsumersAsync("host." + name));
        }

        Assert.Equal(204, (await Client.DeleteAsync(Server.Admin, path)).Status);
        Assert.Equal(HttpStatusCode.NotFound, await ManagementStatusAsync(HttpMethod.Get, "users/" + BrokerNames.HostUser(name)));
        await Assert.ThrowsAnyAsync<BrokerUnreachableException>(() => new ConnectionFactory { Uri = url }.CreateConnectionAsync());
    }

    /// <summary>
    /// A second guest's user (made as the server makes them) is refused <paramref name="id"/>'s queue, and its heartbeats
    /// claiming to be <paramref name="id"/>'s (stamped with its own user_id by the broker, or with none) are dropped
    /// and logged: the instance stays ACTIVE although they report it SHUTDOWN.
    /// </summary>
    private async Task AnotherGuestCannotReadOrReportAboutAsync(string id)
    {
        var intruder = Guid.NewGuid().ToString();
        var password = Guid.NewGuid().ToString("N");
        await PutGuestUserAsync(intruder, password);
        try
        {
            var url = new UriBuilder(fixture.Broker.Options.Url) { UserName = BrokerNames.GuestUser(intruder), Password = password }.Uri;
            await using (var connection = await new ConnectionFactory { Uri = url }.CreateConnectionAsync())
            {
                var channel = await connection.CreateChannelAsync();
                var refused = await Assert.ThrowsAnyAsync<OperationInterruptedException>(() => channel.BasicGetAsync(BusTopics.Guest(id), autoAck: true));
                Assert.Equal(403, refused.ShutdownReason!.ReplyCode);
                channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true));
                // No user_id at all: the broker lets it through, the conductor trusts nobody without one.
                await channel.BasicPublishAsync("hoard", BusTopics.Conductor, mandatory: false, new BasicProperties(),
                    Encoding.UTF8.GetBytes(System.Text.Json.JsonSerializer.Serialize(new BusEnvelope
                    {
                        Kind = BusKinds.Cast, Topic = BusTopics.Conductor, Method = ConductorMethods.Heartbeat, Sent = DateTimeOffset.UtcNow,
                        Args = HoardJson.ToElement(new HeartbeatPayload(id, ServiceStatus.Shutdown)),
                    }, HoardJson.Default.BusEnvelope)));
            }

            using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await using (var bus = await RabbitMqBus.ConnectAsync(new RabbitMqOptions
                         {
                             Url = url, Restricted = true, InboxOwner = BrokerNames.GuestInboxOwner(intruder),
                         }, cancellationToken: cancel.Token))
            {
                await bus.CastAsync(BusTopics.Conductor, ConductorMethods.Heartbeat,
                    HoardJson.ToElement(new HeartbeatPayload(id, ServiceStatus.Shutdown)), cancel.Token);
            }

            await Poll.UntilAsync(() => Task.FromResult(Server.ServerLogged(l => l.Contains($"Guest {intruder} reported about instance {id}; ignored", StringComparison.Ordinal))),
                "the conductor did not drop and log the impersonating heartbeat", 20, () => Server.ServerLog);
            Assert.True(Server.ServerLogged(l => l.Contains($"Guest {BrokerNames.Unidentified} reported about instance {id}; ignored", StringComparison.Ordinal)),
                "the conductor did not drop the heartbeat without user_id");
            // Two of the real guest's heartbeats later, the instance is still what its own guest says.
            await Task.Delay(TimeSpan.FromSeconds(4));
            var shown = TroveClient.Expect(await Client.GetAsync(Server.Admin, $"instances/{id}"), 200).Object["instance"]!;
            Assert.Equal("ACTIVE", shown["status"]!.GetValue<string>());
        }
        finally
        {
            await ManagementStatusAsync(HttpMethod.Delete, "users/" + BrokerNames.GuestUser(intruder));
        }
    }

    /// <summary>A guest user with the permissions hoard-server gives, made straight through the management API.</summary>
    private async Task PutGuestUserAsync(string instanceId, string password)
    {
        var user = BrokerNames.GuestUser(instanceId);
        var p = BrokerPermissions.ForGuest(instanceId, "hoard");
        Assert.True((await ManagementStatusAsync(HttpMethod.Put, "users/" + user, new JsonObject
        {
            ["password_hash"] = RabbitMqPasswordHash.Of(password), ["hashing_algorithm"] = RabbitMqPasswordHash.Algorithm, ["tags"] = "",
        })) is HttpStatusCode.Created or HttpStatusCode.NoContent);
        Assert.True((await ManagementStatusAsync(HttpMethod.Put, $"permissions/%2F/{user}", new JsonObject
        {
            ["configure"] = p.Configure, ["write"] = p.Write, ["read"] = p.Read,
        })) is HttpStatusCode.Created or HttpStatusCode.NoContent);
        Assert.True((await ManagementStatusAsync(HttpMethod.Put, $"topic-permissions/%2F/{user}", new JsonObject
        {
            ["exchange"] = "hoard", ["write"] = p.TopicWrite, ["read"] = p.TopicRead,
        })) is HttpStatusCode.Created or HttpStatusCode.NoContent);
    }

    private async Task<HttpStatusCode> ManagementStatusAsync(HttpMethod method, string path, JsonObject? body = null)
    {
        using var http = new HttpClient { BaseAddress = new Uri(fixture.Broker.ManagementUrl, "api/"), Timeout = TimeSpan.FromSeconds(10) };
        var (user, password) = fixture.Broker.Admin;
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + password)));
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }

        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }

    private async Task<uint> ConsumersAsync(string queue)
    {
        await using var connection = await new ConnectionFactory { Uri = fixture.Broker.Options.Url }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        return (await channel.QueueDeclarePassiveAsync(queue)).ConsumerCount;
    }
}

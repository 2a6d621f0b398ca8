using System.Text;
using System.Text.Json;
using Hoard.Contracts.Bus;
using Hoard.Core.Tests.Messaging;
using Hoard.Messaging.RabbitMq;
using Hoard.Server.Hosting;
using Hoard.Tests.Shared;
using Microsoft.Extensions.Logging.Abstractions;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Hoard.Core.Tests.Messaging.RabbitMq;

/// <summary>
/// Broker users made through the management API of the private broker, checked by the broker itself: a guest's user
/// connects with its password (so the salted hash is right), talks to the server as a guest does, and is refused
/// everything else: other instances' queues, other routing keys, the default exchange, another user's user_id.
/// </summary>
[Collection(RabbitMqCollection.Name)]
public sealed class BrokerUsersTests(RabbitMqBroker broker) : IAsyncLifetime
{
    private const int AccessRefused = 403;
    private const int PreconditionFailed = 406;

    private readonly string _id = Guid.NewGuid().ToString();
    private readonly string _other = Guid.NewGuid().ToString();
    private readonly string _password = Guid.NewGuid().ToString("N") + "+/=";
    private BrokerUsers _users = null!;
    private RabbitMqBus _server = null!;

    public static string? SkipReason => RabbitMqBroker.SkipReason;

    public async Task InitializeAsync()
    {
        if (SkipReason is not null)
        {
            return;
        }

        _users = new BrokerUsers(broker.Options.Url, new RabbitMqSettings { ManagementUrl = broker.ManagementUrl.ToString() }, "hoard",
            NullLogger<BrokerUsers>.Instance);
        // The server declares the exchange and the queues guests send to, as hoard-server does.
        _server = await RabbitMqBus.ConnectAsync(new RabbitMqOptions
        {
            Url = broker.Options.Url, InboxOwner = BrokerNames.ServerInboxOwner, IdentifySenders = true,
            RecoveryInterval = TimeSpan.FromMilliseconds(250),
        });
        await _users.PutGuestAsync(_id, _password, default);
    }

    public async Task DisposeAsync()
    {
        if (SkipReason is not null)
        {
            return;
        }

        await _users.DeleteGuestAsync(_id, default);
        await _server.DisposeAsync();
        _users.Dispose();
    }

    [BusFact]
    public async Task AGuestUser_AnswersCallsAndSendsHeartbeats_StampedWithItsInstance()
    {
        var method = "heartbeat-" + Guid.NewGuid().ToString("N");
        var heartbeats = new TaskCompletionSource<BusEnvelope>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var conductor = await _server.SubscribeAsync(BusTopics.Conductor, (m, _) =>
        {
            if (m.Method == method)
            {
                heartbeats.TrySetResult(m);
            }

            return Task.FromResult<JsonElement?>(null);
        }, default);
        await using var guest = await ConnectGuestAsync(_id, _password);
        await using var handler = await guest.SubscribeAsync(BusTopics.Guest(_id), (m, _) =>
            Task.FromResult<JsonElement?>(JsonSerializer.SerializeToElement(new { method = m.Method })), default);

        var reply = await _server.CallAsync(BusTopics.Guest(_id), "list_databases", null, TimeSpan.FromSeconds(10), default);
        Assert.Equal("list_databases", reply!.Value.GetProperty("method").GetString());

        await guest.CastAsync(BusTopics.Conductor, method, JsonSerializer.SerializeToElement(new { instance_id = _other }), default);
        var heartbeat = await Poll.WithinAsync(heartbeats.Task, "The guest's heartbeat did not arrive");
        Assert.Equal(_id, heartbeat.Sender);
    }

    [BusFact]
    public async Task AGuestUser_CannotConsumeAnotherInstancesQueue_NorBindItsKey()
    {
        await using var admin = await new ConnectionFactory { Uri = broker.Options.Url }.CreateConnectionAsync();
        await using (var channel = await admin.CreateChannelAsync())
        {
            await channel.QueueDeclareAsync(BusTopics.Guest(_other), durable: true, exclusive: false, autoDelete: false);
            await channel.QueueBindAsync(BusTopics.Guest(_other), "hoard", BusTopics.Guest(_other));
        }

        await using var connection = await GuestConnectionAsync(_id, _password);
        await AssertRefusedAsync(connection, AccessRefused, c => c.BasicGetAsync(BusTopics.Guest(_other), autoAck: true));
        await AssertRefusedAsync(connection, AccessRefused, c => c.QueueDeclareAsync(BusTopics.Guest(_other), durable: true, exclusive: false, autoDelete: false));
        await AssertRefusedAsync(connection, AccessRefused, c => c.QueueDeleteAsync(BusTopics.Guest(_other)));
        // Its own reply queue, bound to a key it may not read (the server's replies from other guests): refused.
        var inbox = BrokerNames.NewInbox(BrokerNames.GuestInboxOwner(_id));
        await AssertRefusedAsync(connection, AccessRefused, async c =>
        {
            await c.QueueDeclareAsync(inbox, durable: false, exclusive: true, autoDelete: true);
            await c.QueueBindAsync(inbox, "hoard", BrokerNames.NewInbox(BrokerNames.ServerInboxOwner));
        });
        await AssertRefusedAsync(connection, AccessRefused, c => c.QueueDeclareAsync("conductor", durable: true, exclusive: false, autoDelete: false));
    }

    [BusFact]
    public async Task AGuestUser_CannotPublishWithKeysItHasNoRightTo_NorThroughTheDefaultExchange()
    {
        await using var connection = await GuestConnectionAsync(_id, _password);
        foreach (var key in new[] { BusTopics.Guest(_other), BusTopics.TaskManager, "hosts", "host.h1", BrokerNames.NewInbox(BrokerNames.GuestInboxOwner(_other)) })
        {
            await AssertRefusedAsync(connection, AccessRefused, c => Publish(c, "hoard", key, BrokerNames.GuestUser(_id)));
        }

        await AssertRefusedAsync(connection, AccessRefused, c => Publish(c, "", BusTopics.Conductor, BrokerNames.GuestUser(_id)));
        await AssertRefusedAsync(connection, AccessRefused, c => Publish(c, "", BusTopics.Guest(_other), BrokerNames.GuestUser(_id)));
        await AssertRefusedAsync(connection, AccessRefused, c => Publish(c, "amq.topic", BusTopics.Conductor, BrokerNames.GuestUser(_id)));
        // What it may send, it may send.
        await using var allowed = await connection.CreateChannelAsync(new CreateChannelOptions(true, true));
        await Publish(allowed, "hoard", BusTopics.Conductor, BrokerNames.GuestUser(_id));
    }

    [BusFact]
    public async Task AGuestUser_CannotClaimAnotherUsersUserId_AndWithoutOneItIsNobody()
    {
        var method = "heartbeat-" + Guid.NewGuid().ToString("N");
        var heartbeats = new TaskCompletionSource<BusEnvelope>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var conductor = await _server.SubscribeAsync(BusTopics.Conductor, (m, _) =>
        {
            if (m.Method == method)
            {
                heartbeats.TrySetResult(m);
            }

            return Task.FromResult<JsonElement?>(null);
        }, default);
        await using var connection = await GuestConnectionAsync(_id, _password);
        await AssertRefusedAsync(connection, PreconditionFailed, c => Publish(c, "hoard", BusTopics.Conductor, BrokerNames.GuestUser(_other)));
        await AssertRefusedAsync(connection, PreconditionFailed, c => Publish(c, "hoard", BusTopics.Conductor, broker.Admin.User));

        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true));
        await Publish(channel, "hoard", BusTopics.Conductor, userId: null, method);
        var heartbeat = await Poll.WithinAsync(heartbeats.Task, "The heartbeat without user_id did not arrive");
        Assert.Equal(BrokerNames.Unidentified, heartbeat.Sender);
    }

    [BusFact]
    public async Task AReplyToACallToOneGuest_FromAnotherGuestsUser_IsDropped()
    {
        await _users.PutGuestAsync(_other, _password, default);
        try
        {
            // The admin reads the call off the callee's queue, as an intruder who learnt its correlation id would.
            await using var admin = await new ConnectionFactory { Uri = broker.Options.Url }.CreateConnectionAsync();
            await using var reader = await admin.CreateChannelAsync();
            await reader.QueueDeclareAsync(BusTopics.Guest(_id), durable: true, exclusive: false, autoDelete: false);
            await reader.QueueBindAsync(BusTopics.Guest(_id), "hoard", BusTopics.Guest(_id));
            foreach (var (answerer, expected) in new[] { (_other, false), (_id, true) })
            {
                var call = _server.CallAsync(BusTopics.Guest(_id), "list_databases", null, TimeSpan.FromSeconds(3), default);
                BasicGetResult? request = null;
                await Poll.UntilAsync(async () => (request = await reader.BasicGetAsync(BusTopics.Guest(_id), autoAck: true)) is not null,
                    "The call did not reach the callee's queue", 5);
                await using var connection = await GuestConnectionAsync(answerer, _password);
                await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true));
                var answer = JsonSerializer.SerializeToUtf8Bytes(new BusEnvelope
                {
                    Kind = BusKinds.Reply, Topic = request!.BasicProperties.ReplyTo!, CorrelationId = request.BasicProperties.CorrelationId,
                    Args = JsonSerializer.SerializeToElement("forged"),
                }, Hoard.Contracts.HoardJson.Default.BusEnvelope);
                await channel.BasicPublishAsync("hoard", request.BasicProperties.ReplyTo!, mandatory: false,
                    new BasicProperties { UserId = BrokerNames.GuestUser(answerer) }, answer);
                if (expected)
                {
                    Assert.Equal("forged", (await call)!.Value.GetString());
                }
                else
                {
                    await Assert.ThrowsAsync<BusTimeoutException>(() => call);
                }
            }
        }
        finally
        {
            await _users.DeleteGuestAsync(_other, default);
        }
    }

    [BusFact]
    public async Task TheManagementApi_IsCheckedAtStart_ForAWorkingAdministrator()
    {
        Assert.Null(await _users.ProblemAsync(default));
        var management = broker.ManagementUrl.ToString();
        using var wrong = new BrokerUsers(broker.Options.Url, new RabbitMqSettings { ManagementUrl = management, ManagementPassword = "wrong" },
            "hoard", NullLogger<BrokerUsers>.Instance);
        Assert.Contains("401", await wrong.ProblemAsync(default), StringComparison.Ordinal);
        using var notAdmin = new BrokerUsers(broker.Options.Url, new RabbitMqSettings
        {
            ManagementUrl = management, ManagementUser = BrokerNames.GuestUser(_id), ManagementPassword = _password,
        }, "hoard", NullLogger<BrokerUsers>.Instance);
        Assert.NotNull(await notAdmin.ProblemAsync(default));
        Assert.Throws<InvalidOperationException>(() => new BrokerUsers(broker.Options.Url,
            new RabbitMqSettings { ManagementUrl = "http://hoard:secret@127.0.0.1:1/" }, "hoard", NullLogger<BrokerUsers>.Instance));
        Assert.False(new BrokerUsers(broker.Options.Url, new RabbitMqSettings(), "hoard", NullLogger<BrokerUsers>.Instance).Enabled);
    }

    [BusFact]
    public async Task ADeletedGuestUser_CannotConnect_AndIsNoLongerListed()
    {
        var id = Guid.NewGuid().ToString();
        await _users.PutGuestAsync(id, _password, default);
        Assert.Contains(id, await _users.ListGuestInstancesAsync(default));
        await (await GuestConnectionAsync(id, _password)).DisposeAsync();
        await Assert.ThrowsAnyAsync<BrokerUnreachableException>(() => GuestConnectionAsync(id, "wrong"));

        await _users.DeleteGuestAsync(id, default);
        await _users.DeleteGuestAsync(id, default); // idempotent
        Assert.DoesNotContain(id, await _users.ListGuestInstancesAsync(default));
        await Assert.ThrowsAnyAsync<BrokerUnreachableException>(() => GuestConnectionAsync(id, _password));
    }

    [BusFact]
    public async Task AHostUser_ReportsAndAnswers_ButSendsNothingElse()
    {
        var reports = new TaskCompletionSource<BusEnvelope>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var registry = await _server.SubscribeAsync("hosts", (m, _) =>
        {
            reports.TrySetResult(m);
            return Task.FromResult<JsonElement?>(null);
        }, default);
        var name = "h-" + Guid.NewGuid().ToString("N")[..8];
        await _users.PutHostAsync(name, _password, default);
        try
        {
            var url = new UriBuilder(broker.Options.Url) { UserName = BrokerNames.HostUser(name), Password = _password }.Uri;
            using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await using var agent = await RabbitMqBus.ConnectAsync(new RabbitMqOptions
            {
                Url = url, Restricted = true, InboxOwner = BrokerNames.HostInboxOwner(name),
            }, cancellationToken: cancel.Token);
            await using var handler = await agent.SubscribeAsync("host." + name, (_, _) =>
                Task.FromResult<JsonElement?>(JsonSerializer.SerializeToElement(1)), default);
            Assert.Equal(1, (await _server.CallAsync("host." + name, "ping", null, TimeSpan.FromSeconds(10), default))!.Value.GetInt32());
            await agent.CastAsync("hosts", "report", null, default);
            Assert.Equal("host:" + name, (await Poll.WithinAsync(reports.Task, "The host's report did not arrive")).Sender);

            await using var connection = await new ConnectionFactory { Uri = url }.CreateConnectionAsync();
            await AssertRefusedAsync(connection, AccessRefused, c => Publish(c, "hoard", BusTopics.Conductor, BrokerNames.HostUser(name)));
            await AssertRefusedAsync(connection, AccessRefused, c => Publish(c, "hoard", "host.other", BrokerNames.HostUser(name)));
            await AssertRefusedAsync(connection, AccessRefused, c => c.BasicGetAsync(BusTopics.Guest(_id), autoAck: true));
        }
        finally
        {
            await _users.DeleteHostAsync(name, default);
        }
    }

    [BusFact]
    public async Task ARestrictedPrincipal_StartedBeforeTheServer_WaitsForTheExchange()
    {
        var exchange = "hoard-late-" + Guid.NewGuid().ToString("N")[..8];
        var options = new RabbitMqOptions
        {
            Url = broker.Options.Url, Exchange = exchange, Restricted = true, RecoveryInterval = TimeSpan.FromMilliseconds(100),
        };
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var connecting = RabbitMqBus.ConnectAsync(options, cancellationToken: cancel.Token);
        await Task.Delay(500);
        Assert.False(connecting.IsCompleted, "a restricted bus connected without its exchange");

        await using var server = await RabbitMqBus.ConnectAsync(new RabbitMqOptions { Url = broker.Options.Url, Exchange = exchange });
        await using var bus = await Poll.WithinAsync(connecting, "The restricted bus did not connect once the exchange existed");
        await using var admin = await new ConnectionFactory { Uri = broker.Options.Url }.CreateConnectionAsync();
        await using var channel = await admin.CreateChannelAsync();
        await channel.ExchangeDeleteAsync(exchange);
    }

    private async Task<RabbitMqBus> ConnectGuestAsync(string id, string password)
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        return await RabbitMqBus.ConnectAsync(new RabbitMqOptions
        {
            Url = GuestUrl(id, password), Restricted = true, InboxOwner = BrokerNames.GuestInboxOwner(id),
            RecoveryInterval = TimeSpan.FromMilliseconds(250),
        }, cancellationToken: cancel.Token);
    }

    private Task<IConnection> GuestConnectionAsync(string id, string password) =>
        new ConnectionFactory { Uri = GuestUrl(id, password) }.CreateConnectionAsync();

    private Uri GuestUrl(string id, string password) =>
        new UriBuilder(broker.Options.Url) { UserName = BrokerNames.GuestUser(id), Password = Uri.EscapeDataString(password) }.Uri;

    /// <summary>Tests share the conductor's queue: each tells its messages by <paramref name="method"/>.</summary>
    private static async Task Publish(IChannel channel, string exchange, string key, string? userId, string method = "heartbeat") =>
        await channel.BasicPublishAsync(exchange, key, mandatory: false, new BasicProperties { UserId = userId },
            Encoding.UTF8.GetBytes($$"""{"kind":"cast","topic":"conductor","method":"{{method}}"}"""));

    /// <summary>The broker closes the channel with <paramref name="code"/> (its answer to a refused operation).</summary>
    private static async Task AssertRefusedAsync(IConnection connection, int code, Func<IChannel, Task> action)
    {
        var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true));
        try
        {
            await action(channel);
            // A publish is not answered when refused: a round trip after it sees the channel closed.
            await channel.BasicQosAsync(0, 1, false);
        }
        catch (Exception e) when (e is OperationInterruptedException or AlreadyClosedException or PublishException)
        {
        }

        await Poll.UntilAsync(() => channel.CloseReason is not null, "The broker did not close the channel", 5);
        Assert.Equal(code, channel.CloseReason!.ReplyCode);
        channel.Dispose();
    }
}

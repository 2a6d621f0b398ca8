using System.Collections.Concurrent;
using System.Text.Json;
using Hoard.Contracts.Bus;
using Hoard.Messaging.RabbitMq;
using Hoard.Tests.Shared;

namespace Hoard.Core.Tests.Messaging.RabbitMq;

[Collection(RabbitMqCollection.Name)]
public sealed class RabbitMqBusContractTests(RabbitMqBroker broker) : BusContractTests
{
    public static string? SkipReason => RabbitMqBroker.SkipReason;

    protected override async Task<(IMessageBus Server, IMessageBus Guest)> ConnectAsync()
    {
        if (SkipReason is not null)
        {
            return (null!, null!);
        }

        return (await RabbitMqBus.ConnectAsync(broker.Options), await RabbitMqBus.ConnectAsync(broker.Options));
    }

    protected override async ValueTask DisconnectAsync(IMessageBus server, IMessageBus guest)
    {
        if (server is RabbitMqBus s)
        {
            await s.DisposeAsync();
        }

        if (guest is RabbitMqBus g)
        {
            await g.DisposeAsync();
        }
    }

    [BusFact]
    public async Task CastToATopicWithoutSubscriber_SurvivesABrokerRestart()
    {
        var topic = Topic("guest");
        await Server.CastAsync(topic, "prepare", Json("""{"size":7}"""), default);

        await broker.RestartAsync();

        var received = new TaskCompletionSource<BusEnvelope>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var _ = await Guest.SubscribeAsync(topic, (m, _) =>
        {
            received.TrySetResult(m);
            return Task.FromResult<JsonElement?>(null);
        }, default);
        var message = await Poll.WithinAsync(received.Task, "The cast did not survive the broker restart", 30);
        Assert.Equal("prepare", message.Method);
        Assert.Equal(7, message.Args!.Value.GetProperty("size").GetInt32());
    }

    [BusFact]
    public async Task AfterABrokerRestart_SubscriptionsAndCallsWorkAgainWithoutReconnecting()
    {
        var topic = Topic("guest");
        var casts = new ConcurrentQueue<string>();
        await using var _ = await Guest.SubscribeAsync(topic, (m, _) =>
        {
            if (m.Kind == BusKinds.Cast)
            {
                casts.Enqueue(m.Method);
            }

            return Task.FromResult<JsonElement?>(Json("""{"pong":true}"""));
        }, default);

        await broker.RestartAsync();

        await Server.CastAsync(topic, "after_restart", null, default);
        await Poll.UntilAsync(() => casts.Contains("after_restart"), "The recovered subscription got no cast", 30);
        var reply = await Server.CallAsync(topic, "rpc_ping", null, TimeSpan.FromSeconds(30), default);
        Assert.True(reply!.Value.GetProperty("pong").GetBoolean());
    }

    [BusFact]
    public async Task CastWhileTheBrokerIsDown_IsSentOnceItIsBack()
    {
        var topic = Topic("conductor");
        var received = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var _ = await Guest.SubscribeAsync(topic, (m, _) =>
        {
            received.TrySetResult(m.Method);
            return Task.FromResult<JsonElement?>(null);
        }, default);

        broker.Kill();
        Task cast;
        try
        {
            cast = Server.CastAsync(topic, "heartbeat", null, default);
            Assert.False(cast.IsCompleted);
        }
        finally
        {
            await broker.StartAsync();
        }

        await Poll.WithinAsync(cast.ContinueWith(t => t.Exception is null, TaskScheduler.Default), "The cast never went out", 30);
        Assert.Equal("heartbeat", await Poll.WithinAsync(received.Task, "The cast made while the broker was down was not delivered", 30));
    }

    [BusFact]
    public void SafeUrl_HidesTheCredentials()
    {
        var options = broker.Options;
        Assert.DoesNotContain(options.Url.UserInfo.Split(':')[1], options.SafeUrl);
        Assert.StartsWith("amqp://127.0.0.1:", options.SafeUrl);
    }
}

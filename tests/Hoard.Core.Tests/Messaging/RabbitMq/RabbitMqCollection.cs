using Hoard.Tests.Shared;

namespace Hoard.Core.Tests.Messaging.RabbitMq;

/// <summary>Starting RabbitMQ takes seconds: every test that needs it shares one broker.</summary>
[CollectionDefinition(Name)]
public sealed class RabbitMqCollection : ICollectionFixture<RabbitMqBroker>
{
    public const string Name = "RabbitMQ";
}

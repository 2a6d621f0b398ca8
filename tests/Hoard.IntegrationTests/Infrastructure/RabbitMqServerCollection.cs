namespace Hoard.IntegrationTests.Infrastructure;

/// <summary>
/// The tests of a hoard-server on the RabbitMQ bus. Not in parallel with the main collection: a broker, another server
/// and its instances would slow its timing-sensitive tests on a small machine.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RabbitMqServerCollection : ICollectionFixture<RabbitMqServerFixture>
{
    public const string Name = "rabbitmq";
}

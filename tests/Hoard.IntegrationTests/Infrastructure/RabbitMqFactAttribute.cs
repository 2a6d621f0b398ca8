namespace Hoard.IntegrationTests.Infrastructure;

/// <summary>A test that needs the private RabbitMQ; skipped, saying why, where it is not installed or HOARD_TEST_NO_RABBITMQ=1.</summary>
public sealed class RabbitMqFactAttribute : FactAttribute
{
    public RabbitMqFactAttribute() => Skip = Hoard.Tests.Shared.RabbitMqBroker.SkipReason;
}

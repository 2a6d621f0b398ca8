namespace Hoard.Messaging.RabbitMq;

/// <summary>Settings of the rabbitmq bus transport (<c>Hoard:RabbitMq:*</c>).</summary>
public sealed class RabbitMqOptions
{
    /// <summary>The broker, as <c>amqp://user:password@host:port/vhost</c>. Never logged: it carries the password.</summary>
    public required Uri Url { get; init; }

    /// <summary>The topic exchange every service and guest queue is bound to.</summary>
    public string Exchange { get; init; } = "hoard";

    /// <summary>How long to wait between attempts while the broker is unreachable.</summary>
    public TimeSpan RecoveryInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Shown in the broker's connection list, so an operator can tell the server from a guest.</summary>
    public string ClientName { get; init; } = "hoard";

    /// <summary>The broker address without credentials, for logs and errors.</summary>
    public string SafeUrl => new UriBuilder(Url) { UserName = "", Password = "" }.Uri.ToString();
}

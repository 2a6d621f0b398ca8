namespace Hoard.Server.Hosting;

/// <summary>Settings of the <c>rabbitmq</c> bus (section <c>Hoard:RabbitMq</c>).</summary>
public sealed class RabbitMqSettings
{
    /// <summary>
    /// <c>amqp://user:password@host:port/vhost</c>, used by the server; without <see cref="ManagementUrl"/> also handed
    /// to its guests in their 0600 config file. Never logged.
    /// </summary>
    public string? Url { get; set; }

    /// <summary>
    /// The broker's management HTTP API (<c>http://host:15672/</c>, the <c>rabbitmq_management</c> plugin). Set: every
    /// guest gets a broker user of its own, allowed only its own queues and topics, and senders are checked
    /// (<see cref="BrokerUsers"/>). Unset: guests share the server's user, which is insecure (a warning at start).
    /// </summary>
    public string? ManagementUrl { get; set; }

    /// <summary>An administrator of the broker; by default the user of <see cref="Url"/>.</summary>
    public string? ManagementUser { get; set; }

    /// <summary>
    /// <see cref="ManagementUser"/>'s password (by default <see cref="Url"/>'s). Environment or appsettings only: the
    /// server refuses it on its command line.
    /// </summary>
    public string? ManagementPassword { get; set; }
}

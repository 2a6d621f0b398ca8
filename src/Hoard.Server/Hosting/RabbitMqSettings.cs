namespace Hoard.Server.Hosting;

/// <summary>Settings of the <c>rabbitmq</c> bus (section <c>Hoard:RabbitMq</c>).</summary>
public sealed class RabbitMqSettings
{
    /// <summary>
    /// <c>amqp://user:password@host:port/vhost</c>, used by the server and handed to its guests in their 0600 config file.
    /// Never logged.
    /// </summary>
    public string? Url { get; set; }
}

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

    /// <summary>
    /// Names this process's reply queue <c>reply.&lt;owner&gt;.&lt;guid&gt;</c> (see <see cref="BrokerNames"/>), so that
    /// a broker user's permissions can allow its own reply queue and nobody else's. Null: <c>reply.&lt;guid&gt;</c>.
    /// </summary>
    public string? InboxOwner { get; init; }

    /// <summary>
    /// A principal with a broker user of its own (a guest, a host agent): it declares only the queues it consumes (its
    /// topic and its reply queue) and sends to queues the server declared, because its user may configure nothing else.
    /// The exchange is only checked for, not declared.
    /// </summary>
    public bool Restricted { get; init; }

    /// <summary>
    /// Stamp each received message's <c>Sender</c> from its AMQP <c>user_id</c>, which the broker has checked against the
    /// publishing connection's user (<see cref="BrokerNames.SenderOf"/>). Off: <c>Sender</c> is always empty, as when
    /// every principal shares one broker user and the user says nothing.
    /// </summary>
    public bool IdentifySenders { get; init; }

    /// <summary>The broker address without credentials, for logs and errors.</summary>
    public string SafeUrl => new UriBuilder(Url) { UserName = "", Password = "" }.Uri.ToString();

    /// <summary>The broker user the URL names (the client's default, <c>guest</c>, when it names none).</summary>
    public string User => Url.UserInfo.Split(':', 2)[0] is { Length: > 0 } user ? Uri.UnescapeDataString(user) : "guest";
}

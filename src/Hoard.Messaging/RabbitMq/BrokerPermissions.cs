using System.Text;

namespace Hoard.Messaging.RabbitMq;

/// <summary>
/// What one broker user may do, as RabbitMQ's permission regexes: <see cref="Configure"/>, <see cref="Write"/> and
/// <see cref="Read"/> on the vhost's resources (queues and exchanges by name), and <see cref="TopicWrite"/> /
/// <see cref="TopicRead"/> on the routing keys of <see cref="Exchange"/> (a publish's key, a binding's key).
/// </summary>
/// <remarks>
/// Replies travel through the topic exchange too, never the default exchange: write access to <c>amq.default</c>
/// (which direct reply-to needs as well) would let a user put a message into any queue by its name, past the topic
/// permissions. Each principal's reply queue carries its name (<see cref="BrokerNames.NewInbox"/>), so it can be
/// allowed its own and bind no other key: a guest cannot listen in on the replies other guests send the server.
/// </remarks>
public sealed record BrokerPermissions(string Exchange, string Configure, string Write, string Read, string TopicWrite, string TopicRead)
{
    private const string Guid32 = "[0-9a-f]{32}";

    /// <summary>The server's reply queues, which guests and host agents answer calls into.</summary>
    private static readonly string ServerInbox = @"reply\." + Escape(BrokerNames.ServerInboxOwner) + @"\." + Guid32;

    /// <summary>
    /// A guest: consumes its topic <c>guest.&lt;id&gt;</c> and its reply queue, publishes heartbeats (topic
    /// <c>conductor</c>) and replies to the server's calls, nothing else.
    /// </summary>
    public static BrokerPermissions ForGuest(string instanceId, string exchange) =>
        For(exchange, @"guest\." + Escape(instanceId), BrokerNames.GuestInboxOwner(instanceId), "conductor");

    /// <summary>A host agent: consumes its topic <c>host.&lt;name&gt;</c> and its reply queue, publishes reports (topic <c>hosts</c>) and replies.</summary>
    public static BrokerPermissions ForHost(string hostName, string exchange) =>
        For(exchange, @"host\." + Escape(hostName), BrokerNames.HostInboxOwner(hostName), "hosts");

    private static BrokerPermissions For(string exchange, string ownTopic, string inboxOwner, string publishes)
    {
        var inbox = @"reply\." + Escape(inboxOwner) + @"\." + Guid32;
        var own = $"^({ownTopic}|{inbox})$";
        // Read on the exchange is what binding one's own queues to it takes; write on it, what publishing takes.
        var withExchange = $"^({Escape(exchange)}|{ownTopic}|{inbox})$";
        return new BrokerPermissions(exchange, Configure: own, Write: withExchange, Read: withExchange,
            TopicWrite: $"^({Escape(publishes)}|{ServerInbox})$", TopicRead: own);
    }

    /// <summary>
    /// <paramref name="name"/> as a regex that matches exactly it: every ASCII character but letters, digits and
    /// <c>_</c> is escaped (a backslash before any non-alphanumeric character is literal in RabbitMQ's PCRE as in .NET).
    /// </summary>
    /// <exception cref="ArgumentException">A control character or one outside ASCII, which no Hoard name holds.</exception>
    public static string Escape(string name)
    {
        var regex = new StringBuilder(name.Length * 2);
        foreach (var c in name)
        {
            if (c is < ' ' or > '~')
            {
                throw new ArgumentException($"A broker name may hold only printable ASCII characters: '{name}'.", nameof(name));
            }

            if (!char.IsAsciiLetterOrDigit(c) && c != '_')
            {
                regex.Append('\\');
            }

            regex.Append(c);
        }

        return regex.ToString();
    }
}

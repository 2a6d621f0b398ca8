namespace Hoard.Messaging.RabbitMq;

/// <summary>
/// The broker users of Hoard's principals and the names of their reply queues, in one place: the server makes users
/// and permissions from them, and reads a message's sender back from its <c>user_id</c> with them.
/// </summary>
public static class BrokerNames
{
    public const string GuestUserPrefix = "hoard-guest-";
    public const string HostUserPrefix = "hoard-host-";

    /// <summary>The owner part of the server's reply queues, the only ones guests and host agents may answer to.</summary>
    public const string ServerInboxOwner = "server";

    /// <summary>The <c>Sender</c> of a message that carried no <c>user_id</c>: nobody the broker vouched for.</summary>
    public const string Unidentified = "(no user_id)";

    public static string GuestUser(string instanceId) => GuestUserPrefix + instanceId;

    public static string HostUser(string hostName) => HostUserPrefix + hostName;

    public static string GuestInboxOwner(string instanceId) => "guest." + instanceId;

    public static string HostInboxOwner(string hostName) => "host." + hostName;

    /// <summary>The <c>Sender</c> stamped on what a host agent sends.</summary>
    public static string HostSender(string hostName) => "host:" + hostName;

    /// <summary>A fresh reply queue name: <c>reply.&lt;owner&gt;.&lt;32 hex digits&gt;</c>, or <c>reply.&lt;32 hex digits&gt;</c>.</summary>
    public static string NewInbox(string? owner) =>
        "reply." + (owner is null ? "" : owner + ".") + Guid.NewGuid().ToString("N");

    /// <summary>
    /// Who answers calls to <paramref name="topic"/>, as <see cref="SenderOf"/> names senders: the instance for
    /// <c>guest.&lt;id&gt;</c>, <c>host:&lt;name&gt;</c> for <c>host.&lt;name&gt;</c>, and null (the server) for any other.
    /// </summary>
    public static string? SenderOwning(string topic) =>
        topic.StartsWith("guest.", StringComparison.Ordinal) ? topic["guest.".Length..]
        : topic.StartsWith("host.", StringComparison.Ordinal) ? HostSender(topic["host.".Length..])
        : null;

    /// <summary>The instance whose guest user this is, or null.</summary>
    public static string? InstanceOfGuestUser(string user) =>
        user.StartsWith(GuestUserPrefix, StringComparison.Ordinal) && user.Length > GuestUserPrefix.Length
            ? user[GuestUserPrefix.Length..]
            : null;

    /// <summary>
    /// Who sent a message, from the <c>user_id</c> the broker checked against the publishing connection's user:
    /// null (trusted, as the server's own messages are on the embedded bus) for <paramref name="serverUser"/>, the
    /// instance id for a guest's user (what the conductor compares a heartbeat's instance with), <c>host:&lt;name&gt;</c>
    /// for a host agent's, and something no instance or host is called for anyone else or no <c>user_id</c> at all.
    /// </summary>
    public static string? SenderOf(string? userId, string serverUser)
    {
        if (string.IsNullOrEmpty(userId))
        {
            return Unidentified;
        }

        if (userId == serverUser)
        {
            return null;
        }

        if (InstanceOfGuestUser(userId) is { } instanceId)
        {
            return instanceId;
        }

        return userId.StartsWith(HostUserPrefix, StringComparison.Ordinal) && userId.Length > HostUserPrefix.Length
            ? HostSender(userId[HostUserPrefix.Length..])
            : "(broker user " + userId + ")";
    }
}

namespace Hoard.Guest.Datastores.Redis;

/// <summary>
/// An error reply from Redis (<see cref="ErrorCode"/> is its first word, such as <c>ERR</c>, <c>NOPERM</c>,
/// <c>WRONGPASS</c>, <c>NOAUTH</c>), or a connection failure reported by hiredis.
/// </summary>
internal sealed class RedisException : Exception
{
    private RedisException(string message, string errorCode, bool isConnectionFailure)
        : base(message)
    {
        ErrorCode = errorCode;
        IsConnectionFailure = isConnectionFailure;
    }

    /// <summary>The error reply's prefix, or <c>IO</c> for a connection failure.</summary>
    public string ErrorCode { get; }

    /// <summary>The server is not there or went away (as opposed to refusing a command).</summary>
    public bool IsConnectionFailure { get; }

    public static RedisException FromReply(string reply)
    {
        var space = reply.IndexOf(' ');
        return new RedisException($"Redis error: {reply}", space > 0 ? reply[..space] : reply, isConnectionFailure: false);
    }

    public static RedisException Connection(int hiredisError, string text) =>
        new($"Redis connection error {hiredisError}: {text}", "IO", isConnectionFailure: true);
}

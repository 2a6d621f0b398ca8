namespace Hoard.Contracts.Guest;

/// <summary>Whether a guest log is written now, as the datastore reports it (Trove's log status before publishing).</summary>
public enum GuestLogState
{
    /// <summary>The datastore writes it and cannot stop (an error log).</summary>
    AlwaysOn,
    Enabled,
    Disabled,

    /// <summary>The datastore cannot say now (the server does not answer).</summary>
    Unavailable,
}

/// <summary>One log a guest can publish.</summary>
/// <param name="Type">Trove's <c>USER</c> (the user may turn it on and off) or <c>SYS</c>.</param>
/// <param name="End">Where the log ends now, in the log's own positions (bytes of a file; entries of an in-memory log).</param>
public sealed record GuestLogInfo(string Name, string Type, GuestLogState State, long End);

public sealed record GuestLogList(IReadOnlyList<GuestLogInfo> Logs);

public sealed record SetGuestLogRequest(string Name, bool Enabled);

/// <summary>Up to <paramref name="MaxBytes"/> of the log from position <paramref name="From"/> (from the start when it was rotated since).</summary>
public sealed record ReadGuestLogRequest(string Name, long From, int MaxBytes);

/// <param name="Content">The text, secrets redacted.</param>
/// <param name="From">Where <paramref name="Content"/> starts: 0 when the log was rotated or restarted since the position asked for.</param>
/// <param name="Next">The position to read from next time.</param>
public sealed record GuestLogChunk(string Content, long From, long Next, long End, int Lines);

/// <summary>Trove's log types.</summary>
public static class GuestLogTypes
{
    public const string User = "USER";
    public const string System = "SYS";
}

using Hoard.Contracts.Guest;

namespace Hoard.Server.GuestLogs;

/// <summary>Trove's log status from what the guest says of the log now and what has been published of it.</summary>
internal static class GuestLogStatus
{
    public const string Disabled = "Disabled";
    public const string Enabled = "Enabled";
    public const string Unavailable = "Unavailable";
    public const string Ready = "Ready";
    public const string Published = "Published";
    public const string Partial = "Partial";
    public const string Rotated = "Rotated";

    /// <summary>What a publish would send now. A log that ends before the last publish's position was rotated (or, in memory, restarted): all of it.</summary>
    public static long Pending(long end, long position) => end < position ? end : end - position;

    public static string Of(GuestLogState state, long end, GuestLogMetafile metafile) => state switch
    {
        GuestLogState.Unavailable => Unavailable,
        GuestLogState.Disabled => Disabled,
        _ when end < metafile.Position => Rotated,
        _ when end > metafile.Position => metafile.Parts.Count > 0 ? Partial : Ready,
        _ => metafile.Parts.Count > 0 ? Published : Enabled,
    };
}

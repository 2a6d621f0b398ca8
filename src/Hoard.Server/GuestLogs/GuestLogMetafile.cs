using System.Text.Json.Serialization;

namespace Hoard.Server.GuestLogs;

/// <summary>What has been published of one log: the parts in order, and where in the guest's log the next publish starts.</summary>
/// <param name="Position">The guest's position after the last publish (bytes of a file, entries of an in-memory log).</param>
internal sealed record GuestLogMetafile(long Position, IReadOnlyList<GuestLogPart> Parts)
{
    public static readonly GuestLogMetafile Empty = new(0, []);

    /// <summary>Bytes published, Trove's <c>published</c>.</summary>
    public long Published => Parts.Sum(p => p.Size);
}

/// <summary>One publish's new content: an object of <paramref name="Lines"/> lines.</summary>
internal sealed record GuestLogPart(string Name, long Size, int Lines, DateTimeOffset PublishedAt);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(GuestLogMetafile))]
internal sealed partial class GuestLogJson : JsonSerializerContext;

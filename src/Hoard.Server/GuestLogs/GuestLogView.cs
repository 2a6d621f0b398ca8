using System.Globalization;
using System.Text.Json.Nodes;
using Hoard.Contracts.Guest;

namespace Hoard.Server.GuestLogs;

/// <summary>Trove's <c>&lt;Log&gt;</c>: <c>{name, type, status, published, pending, container, prefix, metafile}</c>, sizes as strings.</summary>
internal sealed record GuestLogView(GuestLogInfo Info, GuestLogLocation Location, GuestLogMetafile Metafile)
{
    public string Status => GuestLogStatus.Of(Info.State, Info.End, Metafile);

    public JsonObject ToJson() => new()
    {
        ["name"] = Info.Name,
        ["type"] = Info.Type,
        ["status"] = Status,
        ["published"] = Text(Metafile.Published),
        ["pending"] = Text(GuestLogStatus.Pending(Info.End, Metafile.Position)),
        ["container"] = Location.Container,
        ["prefix"] = Location.Prefix,
        ["metafile"] = Location.Metafile,
    };

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);
}

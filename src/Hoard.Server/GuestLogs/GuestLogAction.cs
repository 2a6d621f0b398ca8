using System.Text.Json;
using System.Text.Json.Nodes;
using Hoard.Server.Trove;

namespace Hoard.Server.GuestLogs;

/// <summary>
/// A log action body, Trove's <c>{"name": "...", "enable"|"disable"|"publish"|"discard": 1}</c> (each a
/// <c>boolean_string</c>, 0 or 1). No action key shows the log. Discarding goes before publishing, so both together
/// publish afresh.
/// </summary>
internal sealed record GuestLogAction(string Name, bool Enable, bool Disable, bool Publish, bool Discard)
{
    private const string Path = "body";

    public bool ChangesSwitch => Enable || Disable;

    public bool ChangesAnything => ChangesSwitch || Publish || Discard;

    public static GuestLogAction Parse(JsonObject body)
    {
        Body.OnlyKeys(body, Path, "name", "enable", "disable", "publish", "discard");
        var action = new GuestLogAction(Body.String(body, "name", Path, required: true)!,
            Flag(body, "enable"), Flag(body, "disable"), Flag(body, "publish"), Flag(body, "discard"));
        return action is { Enable: true, Disable: true }
            ? throw TroveFault.BadRequest($"Cannot enable and disable log '{action.Name}' at the same time.")
            : action;
    }

    /// <summary>Trove's <c>boolean_string</c>: the integer 0 or 1 (JSON booleans are taken too).</summary>
    private static bool Flag(JsonObject body, string key) => body[key] switch
    {
        null => false,
        var n when n.GetValueKind() is JsonValueKind.True or JsonValueKind.False => n.GetValue<bool>(),
        var n when n.GetValueKind() == JsonValueKind.Number && n.AsValue().TryGetValue<int>(out var i) && i is 0 or 1 => i == 1,
        _ => throw TroveFault.Validation($"{Path}.{key} must be 0 or 1."),
    };
}

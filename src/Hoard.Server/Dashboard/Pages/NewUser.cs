using System.Text.Json.Nodes;

namespace Hoard.Server.Dashboard.Pages;

/// <summary>A user to create with the instance; it gets access to the instance's new databases.</summary>
internal sealed class NewUser
{
    public string Name { get; set; } = "";
    public string Password { get; set; } = "";

    public JsonObject ToRequest(IReadOnlyList<string> databases) => new()
    {
        ["name"] = Name,
        ["password"] = Password,
        ["databases"] = new JsonArray([.. databases.Select(d => (JsonNode)new JsonObject { ["name"] = d })]),
    };
}

using System.Text.Json;
using System.Text.Json.Nodes;
using Hoard.Server.Dashboard.Api;

namespace Hoard.Server.Dashboard.Pages;

/// <summary>A new configuration group; its values are checked by the API against the datastore's parameter schema.</summary>
internal sealed class ConfigurationForm
{
    public string Name { get; set; } = "";
    public string Description { get; set; } = "";

    /// <summary><c>datastore/version</c>.</summary>
    public string Datastore { get; set; } = "";

    public string Values { get; set; } = "{}";

    public JsonObject ToRequest()
    {
        JsonNode? values;
        try
        {
            values = JsonNode.Parse(Values);
        }
        catch (JsonException e)
        {
            throw new ApiError(400, $"The values are not valid JSON: {e.Message}");
        }

        var (datastore, version) = Datastore.Split('/', 2) is [var d, var v] ? (d, v) : (Datastore, "");
        var group = new JsonObject
        {
            ["name"] = Name, ["values"] = values, ["datastore"] = new JsonObject { ["type"] = datastore, ["version"] = version },
        };
        // The API takes no description rather than an empty one.
        if (Description.Length > 0)
        {
            group["description"] = Description;
        }

        return new JsonObject { ["configuration"] = group };
    }
}

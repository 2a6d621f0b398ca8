using System.Text.Json.Nodes;
using Hoard.Cli.Http;

namespace Hoard.Cli.Commands;

/// <summary>Finds a resource by id or by name, as the OpenStack client does: an id first, then a unique name.</summary>
internal static class ResourceResolver
{
    public static async Task<JsonObject> FindAsync(HoardClient client, ResourceKind kind, string nameOrId, CancellationToken cancellationToken)
    {
        if ((!kind.IdsAreGuids || Guid.TryParse(nameOrId, out _)) &&
            await client.TryGetAsync($"{kind.Collection}/{Uri.EscapeDataString(nameOrId)}", cancellationToken) is { } found &&
            found[kind.Singular] is JsonObject item)
        {
            return item;
        }

        var all = (await client.GetAsync($"{kind.Collection}?limit=1000", cancellationToken))?[kind.Collection] as JsonArray ?? [];
        var named = all.OfType<JsonObject>().Where(i => i["name"]?.ToString() == nameOrId).ToList();
        return named.Count switch
        {
            1 => named[0],
            0 => throw CliException.NotFound($"No {kind.Singular} is named or has the id '{nameOrId}'."),
            _ => throw new CliException($"{named.Count} {kind.Collection} are named '{nameOrId}'; use an id."),
        };
    }

    public static async Task<string> IdAsync(HoardClient client, ResourceKind kind, string nameOrId, CancellationToken cancellationToken) =>
        (await FindAsync(client, kind, nameOrId, cancellationToken))["id"]!.ToString();

    /// <summary>
    /// The id of a resource a request refers to (a create's flavor, its backup): that one missing makes the request
    /// wrong (exit 1), while exit 4 stays for the resource a command is about.
    /// </summary>
    public static async Task<string> ReferenceIdAsync(HoardClient client, ResourceKind kind, string nameOrId, CancellationToken cancellationToken)
    {
        try
        {
            return await IdAsync(client, kind, nameOrId, cancellationToken);
        }
        catch (CliException e) when (e.ExitCode == ExitCodes.NotFound)
        {
            throw new CliException(e.Message);
        }
    }
}

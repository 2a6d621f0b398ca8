using System.Text.Json.Nodes;
using Hoard.Server.Hosting;
using Microsoft.Extensions.Options;

namespace Hoard.Server.Apis;

/// <summary>Keystone's <c>/v3/domains</c>, read-only: Hoard has the one domain <c>Default</c>.</summary>
internal static class IdentityDomainsApi
{
    public static void MapIdentityDomainsApi(this RouteGroupBuilder v3)
    {
        v3.MapGet("/domains", List);
        v3.MapGet("/domains/{domainId}", Show);
    }

    private static IResult List(HttpRequest request, string? name, IOptions<HoardOptions> options)
    {
        var domains = name is null || name == KeystoneBodies.DomainName ? [KeystoneBodies.Domain(options.Value.BaseUrl)] : Array.Empty<JsonNode>();
        return KeystoneReply.List(request, "domains", domains);
    }

    private static IResult Show(string domainId, IOptions<HoardOptions> options) =>
        domainId == KeystoneBodies.DomainId
            ? KeystoneReply.Json(new JsonObject { ["domain"] = KeystoneBodies.Domain(options.Value.BaseUrl) })
            : KeystoneReply.NotFound("domain", domainId);
}

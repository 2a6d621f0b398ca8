using System.Globalization;
using System.Text.Json.Nodes;
using Hoard.Core.Backups;
using Hoard.Server.GuestLogs;
using Hoard.Server.Identity;
using Hoard.Server.Trove;

namespace Hoard.Server.Apis;

/// <summary>
/// The read-only corner of Swift's object API that <c>openstack database log tail|save</c> use (python-troveclient's
/// <c>log_generator</c>): list a log's parts by prefix, and HEAD and GET each (with <c>X-Object-Meta-Lines</c>), in the
/// <see cref="GuestLogLocation.DefaultContainer"/> container of the caller's own project. Served from the backup
/// storage, whichever it is, and listed in the token's catalog as <c>object-store</c>.
/// </summary>
internal static class GuestLogObjectsApi
{
    public const string Root = "/swift/v1";

    public static void MapGuestLogObjectsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(Root + "/AUTH_{projectId}/" + GuestLogLocation.DefaultContainer);
        group.MapGet("", ListAsync);
        group.MapMethods("/{**name}", [HttpMethods.Get, HttpMethods.Head], ReadAsync);
    }

    /// <summary>The account URL for the catalog.</summary>
    public static string AccountUrl(string baseUrl, string projectId) => $"{baseUrl}{Root}/AUTH_{projectId}";

    private static async Task<IResult> ListAsync(HttpContext http, string projectId, ITokenValidator tokens, IBackupStorage storage, CancellationToken ct)
    {
        if (!await AuthorizedAsync(http, projectId, tokens))
            return Results.StatusCode(401);
        var location = GuestLogLocation.FromObjectName(http.Request.Query["prefix"].ToString());
        var parts = location is null || !location.Prefix.StartsWith(projectId + "/", StringComparison.Ordinal)
            ? []
            : (await new GuestLogStorage(storage).ReadMetafileAsync(location, ct)).Parts;
        var listing = new JsonArray([.. parts.Select(p => (JsonNode)new JsonObject
        {
            ["name"] = p.Name, ["bytes"] = p.Size, ["content_type"] = "text/plain",
            ["last_modified"] = p.PublishedAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.ffffff", CultureInfo.InvariantCulture),
        })]);
        return Reply.Json(listing);
    }

    private static async Task<IResult> ReadAsync(HttpContext http, string projectId, string name, ITokenValidator tokens, IBackupStorage storage,
        CancellationToken ct)
    {
        if (!await AuthorizedAsync(http, projectId, tokens))
            return Results.StatusCode(401);
        var location = GuestLogLocation.FromObjectName(name);
        var store = new GuestLogStorage(storage);
        var part = location is null || !name.StartsWith(projectId + "/", StringComparison.Ordinal)
            ? null
            : (await store.ReadMetafileAsync(location, ct)).Parts.FirstOrDefault(p => p.Name == name);
        if (part is null)
            return Results.NotFound();

        http.Response.Headers["X-Object-Meta-Lines"] = part.Lines.ToString(CultureInfo.InvariantCulture);
        http.Response.Headers.LastModified = part.PublishedAt.ToString("R", CultureInfo.InvariantCulture);
        if (HttpMethods.IsHead(http.Request.Method))
        {
            http.Response.ContentLength = part.Size;
            return Results.Empty;
        }

        return Results.Text(await store.ReadPartAsync(part, ct), "text/plain", System.Text.Encoding.UTF8);
    }

    /// <summary>Swift's rule: the token's project owns the account in the path.</summary>
    private static async Task<bool> AuthorizedAsync(HttpContext http, string projectId, ITokenValidator tokens)
    {
        var token = http.Request.Headers["X-Auth-Token"].ToString();
        var info = token.Length == 0 ? null : await tokens.ValidateAsync(token, http.RequestAborted);
        return info is not null && info.ProjectId == projectId;
    }
}

using Hoard.Contracts;
using Hoard.Contracts.Bus;
using Hoard.Contracts.Guest;
using Hoard.Persistence;
using Hoard.Server.Hosting;
using Hoard.Server.Identity;
using Hoard.Server.Trove;
using Microsoft.Extensions.Options;

namespace Hoard.Server.Apis;

/// <summary>
/// <c>POST /v1.0/{project}/mgmt/instances/{id}/rotate_wal_token</c> (admins; Hoard's own): gives an instance that archives
/// its WAL a new WAL token. The guest gets it first, then hoard-server keeps its hash: uploads in between are refused and
/// retried by the guest, so nothing is lost, and the old token is worthless from then on.
/// </summary>
internal static class WalTokenApi
{
    private static readonly TimeSpan GuestTimeout = TimeSpan.FromSeconds(30);

    public static void MapWalTokenApi(this IEndpointRouteBuilder app) =>
        app.MapPost("/v1.0/{projectId}/mgmt/instances/{id}/rotate_wal_token", RotateAsync);

    private static async Task<IResult> RotateAsync(HttpContext http, string id, InstanceStore instances, CatalogStore catalog,
        WalArchiveStore walArchive, IMessageBus bus, IOptions<HoardOptions> options, CancellationToken cancellationToken)
    {
        if (!http.Token().IsAdmin)
        {
            throw TroveFault.Unauthorized("User does not have admin privileges.");
        }

        var instance = await instances.GetAsync(id, cancellationToken) ?? throw TroveFault.NotFound($"Instance {id} could not be found.");
        var version = await catalog.GetVersionAsync(instance.DatastoreVersionId, cancellationToken);
        if (version is not { Capabilities.PointInTimeRecovery: true })
        {
            throw TroveFault.NotImplemented($"Instance {id} does not archive its WAL ({version?.DatastoreName} {version?.Name}).");
        }

        InstanceAccess.RequireServing(instance);
        var token = Secrets.NewToken();
        try
        {
            await bus.CallAsync(BusTopics.Guest(id), GuestMethods.SetWalArchive,
                HoardJson.ToElement(new WalArchiveTarget(WalArchiveApi.Url(options.Value, id), token)), GuestTimeout, cancellationToken);
        }
        catch (Exception e) when (e is RemoteCallException or BusTimeoutException)
        {
            throw TroveFault.Unprocessable($"The guest of instance {id} did not take the new WAL token, so the old one stays valid: {e.Message}");
        }

        await walArchive.SetTokenHashAsync(instance.Id, instance.ProjectId, Secrets.Sha256(token), cancellationToken);
        return Reply.Accepted();
    }
}

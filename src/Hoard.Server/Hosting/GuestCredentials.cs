using Hoard.Messaging.RabbitMq;
using Hoard.Persistence;
using Hoard.Server.Identity;

namespace Hoard.Server.Hosting;

/// <summary>
/// Issues a guest's credentials each time it is launched: a fresh secret whose hash the embedded bus checks, and which
/// is also the password of the guest's own broker user on the rabbitmq bus (made or updated here, before the guest
/// starts). The guest gets the secret only through its private config file. <see cref="RevokeAsync"/> removes the user.
/// </summary>
internal sealed partial class GuestCredentials(InstanceStore instances, BrokerUsers broker, ILogger<GuestCredentials> logger)
{
    /// <returns>The secret, and the broker user the guest connects as (null: it uses the provider's broker URL as is).</returns>
    public async Task<(string Secret, string? BrokerUser)> IssueAsync(string instanceId, CancellationToken cancellationToken)
    {
        var secret = Secrets.NewToken();
        await instances.SetBusSecretHashAsync(instanceId, Secrets.Sha256(secret), cancellationToken);
        if (!broker.Enabled)
        {
            return (secret, null);
        }

        await broker.PutGuestAsync(instanceId, secret, cancellationToken);
        return (secret, BrokerNames.GuestUser(instanceId));
    }

    /// <summary>
    /// The instance is going: its guest (stopped, its config file released) may no longer use the broker. Idempotent.
    /// A management API that does not answer does not hold up the delete: the user is then left to
    /// <see cref="BrokerUserReconciler"/>, which removes users of deleted instances.
    /// </summary>
    public async Task RevokeAsync(string instanceId, CancellationToken cancellationToken)
    {
        try
        {
            await broker.DeleteGuestAsync(instanceId, cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException or InvalidOperationException or TaskCanceledException
                                      && !cancellationToken.IsCancellationRequested)
        {
            LogRevokeFailed(instanceId, e.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The broker user of instance {InstanceId} could not be deleted now ({Reason}); the broker user reconciler will")]
    private partial void LogRevokeFailed(string instanceId, string reason);
}

namespace Hoard.Server.Identity;

/// <summary>
/// In keystone mode, logs the service user in once at start-up, so that a wrong URL or password is a readable error in
/// the log at once. It does not stop the server: Keystone may come up later, and requests meanwhile are answered 503.
/// </summary>
internal sealed class KeystoneStartupCheck(KeystoneTokenValidator validator) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await validator.CheckAsync(stoppingToken);
        }
        catch (IdentityUnavailableException)
        {
            // Already logged by KeystoneServiceToken, with the reason.
        }
    }
}

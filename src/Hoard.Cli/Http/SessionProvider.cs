namespace Hoard.Cli.Http;

/// <summary>
/// Where a command's token comes from: the <c>OS_*</c> variables when they are complete (a fresh log-in, as the
/// OpenStack clients do), else the token <c>hoard login</c> stored, while it is valid.
/// </summary>
internal sealed class SessionProvider(CliEnvironment environment, KeystoneClient keystone, SessionStore store, TimeProvider time)
{
    private static readonly TimeSpan ExpiryMargin = TimeSpan.FromSeconds(30);

    public async Task<Session> GetAsync(CancellationToken cancellationToken)
    {
        if (Credentials.FromEnvironment(environment) is { } credentials)
        {
            return await keystone.LoginAsync(credentials, cancellationToken);
        }

        var stored = store.Load() ?? throw CliException.Auth(
            "Not logged in: run `hoard login`, or set OS_AUTH_URL, OS_USERNAME, OS_PASSWORD and OS_PROJECT_NAME.");
        return stored.ExpiresAt - ExpiryMargin > time.GetUtcNow()
            ? stored
            : throw CliException.Auth($"The token from `hoard login` expired at {stored.ExpiresAt:u}; run `hoard login` again.");
    }
}

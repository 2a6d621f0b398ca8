using System.CommandLine;
using Hoard.Cli.Http;

namespace Hoard.Cli.Commands.Login;

/// <summary><c>hoard logout</c>: revokes the stored token and removes it.</summary>
internal static class LogoutCommand
{
    public static Command Create(CliServices services) =>
        new Command("logout", "Revoke the token `hoard login` stored, and remove it.").Runs(services, async context =>
        {
            var store = services.Sessions;
            if (Stored(store) is { } session)
            {
                try
                {
                    await services.Keystone.RevokeAsync(session, context.Cancellation);
                }
                catch (CliException e) when (e.ExitCode is ExitCodes.Auth or ExitCodes.NotFound)
                {
                    // Already expired or revoked: removing the file is all that is left to do.
                }
            }

            context.Output.Message(store.Delete() ? $"Logged out; removed {store.Path}." : "Not logged in.");
        });

    /// <summary>The stored login; a file hoard cannot read is removed all the same.</summary>
    private static Session? Stored(SessionStore store)
    {
        try
        {
            return store.Load();
        }
        catch (CliException)
        {
            return null;
        }
    }
}

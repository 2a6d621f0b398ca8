using System.CommandLine;
using Hoard.Cli.Commands.Instances;

namespace Hoard.Cli.Commands.Users;

/// <summary>The instance, user and (optional) host that most user commands start with, and the user's API path.</summary>
internal sealed class UserTarget(CliServices services)
{
    private readonly Argument<string> _instance = InstanceOperations.Argument(services);
    private readonly Argument<string> _user = new("user") { Description = "The user's name." };
    private readonly Option<string> _host = new("--host") { Description = "The user's host (MariaDB), when not %." };

    public Symbol[] Symbols => [_instance, _user, _host];

    public string UserName(CommandContext context) => context.Get(_user);

    public string InstanceName(CommandContext context) => context.Get(_instance);

    /// <summary><c>instances/{id}/users/{name}</c> plus <paramref name="suffix"/>, and <c>?host=</c> when one was given.</summary>
    public async Task<string> PathAsync(CommandContext context, string suffix = "")
    {
        var id = await InstanceOperations.IdAsync(context, context.Get(_instance));
        var host = context.Get(_host) is { } h ? "?host=" + Uri.EscapeDataString(h) : "";
        return $"instances/{id}/users/{Uri.EscapeDataString(context.Get(_user))}{suffix}{host}";
    }
}

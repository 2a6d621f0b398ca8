using System.CommandLine;

namespace Hoard.Cli.Commands.Users;

internal static class UserCommands
{
    public static Command Create(CliServices services) =>
        new Command("user", "Users of an instance's datastore, and their access to databases.").With(
            CreateCommand.Create(services), ListCommand.Create(services), ShowCommand.Create(services), UpdateCommand.Create(services),
            DeleteCommand.Create(services), GrantCommand.Create(services), RevokeCommand.Create(services), AccessCommand.Create(services));
}

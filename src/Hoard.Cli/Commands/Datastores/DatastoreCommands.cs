using System.CommandLine;

namespace Hoard.Cli.Commands.Datastores;

internal static class DatastoreCommands
{
    public static Command Create(CliServices services) =>
        new Command("datastore", "The datastores and versions instances can run.").With(
            ListCommand.Create(services), ShowCommand.Create(services), VersionsCommand.Create(services));

    public static Argument<string> Argument() => new("datastore") { Description = "The datastore's name or id (mariadb, postgresql, redis)." };
}

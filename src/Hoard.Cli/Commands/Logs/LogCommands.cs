using System.CommandLine;

namespace Hoard.Cli.Commands.Logs;

/// <summary><c>hoard log …</c>: an instance's datastore logs (Trove's guest logs), published to the backup storage and read back.</summary>
internal static class LogCommands
{
    public static Command Create(CliServices services) =>
        new Command("log", "An instance's datastore logs: error, slow query, general.").With(
            ListCommand.Create(services),
            LogActionCommand.Create(services, "show", null, "Show one log: its status and how much is published and pending."),
            LogActionCommand.Create(services, "enable", "enable", "Start writing a log (slow query, general); lasts until the server restarts."),
            LogActionCommand.Create(services, "disable", "disable", "Stop writing a log."),
            LogActionCommand.Create(services, "publish", "publish", "Store what the log gained since the last publish, for tail."),
            LogActionCommand.Create(services, "discard", "discard", "Delete everything published of a log."),
            TailCommand.Create(services));

    public static Argument<string> NameArgument() => new("name") { Description = "The log's name (see hoard log list)." };
}

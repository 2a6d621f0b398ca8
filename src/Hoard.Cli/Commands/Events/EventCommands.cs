using System.CommandLine;

namespace Hoard.Cli.Commands.Events;

internal static class EventCommands
{
    public static Command Create(CliServices services) =>
        new Command("event", "What happened to instances: tasks, status changes, faults, switchovers.").With(ListCommand.Create(services));
}

using System.CommandLine;

namespace Hoard.Cli.Commands.Instances;

internal static class InstanceCommands
{
    public static Command Create(CliServices services) =>
        new Command("instance", "Database instances: create, inspect, change, replicate and delete them.").With(
            CreateCommand.Create(services), ListCommand.Create(services), ShowCommand.Create(services), UpdateCommand.Create(services),
            DeleteCommand.Create(services), RestartCommand.Create(services), ResizeVolumeCommand.Create(services),
            ResizeFlavorCommand.Create(services), PromoteCommand.Create(services), EjectSourceCommand.Create(services),
            DetachCommand.Create(services), ReplicationModeCommand.Create(services), ReplicationEventsCommand.Create(services),
            RecoveryWindowCommand.Create(services), MetricsCommand.Create(services));
}

using System.CommandLine;

namespace Hoard.Cli.Commands.Configurations;

internal static class ConfigurationCommands
{
    public static Command Create(CliServices services) =>
        new Command("configuration", "Configuration groups: datastore settings shared by instances.").With(
            CreateCommand.Create(services), ListCommand.Create(services), ShowCommand.Create(services), UpdateCommand.Create(services),
            DeleteCommand.Create(services), AttachCommand.Create(services), DetachCommand.Create(services), InstancesCommand.Create(services),
            ParametersCommand.Create(services), DefaultCommand.Create(services));
}

using System.CommandLine;

namespace Hoard.Cli.Commands.Configurations;

internal static class DeleteCommand
{
    public static Command Create(CliServices services)
    {
        var group = ConfigurationValues.GroupArgument(services);
        return new Command("delete", "Delete a configuration group (refused while attached).").With(group).Runs(services, async context =>
        {
            var client = await context.ClientAsync();
            var id = await ResourceResolver.IdAsync(client, ResourceKind.Configuration, context.Get(group), context.Cancellation);
            await client.DeleteAsync($"configurations/{id}", context.Cancellation);
            context.Output.Message($"Deleted configuration group {context.Get(group)}.");
        });
    }
}

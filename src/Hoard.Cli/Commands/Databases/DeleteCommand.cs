using System.CommandLine;
using Hoard.Cli.Commands.Instances;

namespace Hoard.Cli.Commands.Databases;

internal static class DeleteCommand
{
    public static Command Create(CliServices services)
    {
        var instance = InstanceOperations.Argument(services);
        var name = new Argument<string>("name") { Description = "The database's name." };
        return new Command("delete", "Delete a database and its data.").With(instance, name).Runs(services, async context =>
        {
            var id = await InstanceOperations.IdAsync(context, context.Get(instance));
            await (await context.ClientAsync()).DeleteAsync($"instances/{id}/databases/{Uri.EscapeDataString(context.Get(name))}", context.Cancellation);
            context.Output.Message($"Deleted database {context.Get(name)} from {context.Get(instance)}.");
        });
    }
}

using System.CommandLine;

namespace Hoard.Cli.Commands.Backups;

internal static class DeleteCommand
{
    public static Command Create(CliServices services)
    {
        var backup = BackupArgument.Create(services);
        return new Command("delete", "Delete a backup, and the incrementals built on it.").With(backup).Runs(services, async context =>
        {
            var client = await context.ClientAsync();
            var id = await ResourceResolver.IdAsync(client, ResourceKind.Backup, context.Get(backup), context.Cancellation);
            await client.DeleteAsync($"backups/{id}", context.Cancellation);
            context.Output.Message($"Deleted backup {context.Get(backup)}.");
        });
    }
}

using System.CommandLine;

namespace Hoard.Cli.Commands.Admin;

internal static class AdminCommands
{
    public static Command Create(CliServices services) =>
        new Command("admin", "Operators' views across projects (admins only).").With(
            ListCommand.Create(services), ShowCommand.Create(services), ResetStatusCommand.Create(services), AuditCommand.Create(services),
            RotateWalTokenCommand.Create(services));
}

using System.CommandLine;

namespace Hoard.Cli.Commands;

internal static class CommandActions
{
    /// <summary>Gives the command its action; it succeeds (exit 0) unless it throws.</summary>
    public static Command Runs(this Command command, CliServices services, Func<CommandContext, Task> action)
    {
        command.SetAction(async (parse, cancellationToken) =>
        {
            await action(new CommandContext(parse, services, cancellationToken));
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>Adds the symbols and returns the command, so that a command reads as one expression.</summary>
    public static Command With(this Command command, params Symbol[] symbols)
    {
        foreach (var symbol in symbols)
        {
            switch (symbol)
            {
                case Argument argument:
                    command.Arguments.Add(argument);
                    break;
                case Option option:
                    command.Options.Add(option);
                    break;
                case Command subcommand:
                    command.Subcommands.Add(subcommand);
                    break;
            }
        }

        return command;
    }
}

using System.CommandLine;

namespace Hoard.Cli.Commands.Completion;

/// <summary>
/// <c>hoard completion bash|zsh|fish</c>: a script for the shell that asks hoard itself what may come next, through
/// System.CommandLine's <c>[suggest]</c> directive, so completions always match this binary's commands.
/// </summary>
internal static class CompletionCommands
{
    public static Command Create()
    {
        var command = new Command("completion", "Print a shell completion script: eval \"$(hoard completion bash)\".");
        foreach (var (shell, script) in CompletionScripts.All)
        {
            command.Subcommands.Add(new Command(shell, $"The {shell} completion script.").WithScript(script));
        }

        return command;
    }

    private static Command WithScript(this Command command, string script)
    {
        command.SetAction(parse => parse.InvocationConfiguration.Output.Write(script));
        return command;
    }
}

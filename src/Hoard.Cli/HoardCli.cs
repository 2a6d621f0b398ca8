using System.CommandLine;
using System.CommandLine.Invocation;
using System.Text.Json;
using Hoard.Cli.Commands;
using Hoard.Cli.Commands.Admin;
using Hoard.Cli.Commands.Backups;
using Hoard.Cli.Commands.BackupSchedules;
using Hoard.Cli.Commands.BackupStrategies;
using Hoard.Cli.Commands.Completion;
using Hoard.Cli.Commands.Configurations;
using Hoard.Cli.Commands.Connect;
using Hoard.Cli.Commands.Databases;
using Hoard.Cli.Commands.Datastores;
using Hoard.Cli.Commands.Events;
using Hoard.Cli.Commands.Flavors;
using Hoard.Cli.Commands.Instances;
using Hoard.Cli.Commands.Login;
using Hoard.Cli.Commands.Quotas;
using Hoard.Cli.Commands.Root;
using Hoard.Cli.Commands.Users;

namespace Hoard.Cli;

/// <summary>The <c>hoard</c> command tree, and the one place where failures become a line on standard error and an exit code.</summary>
internal static class HoardCli
{
    public static RootCommand BuildRoot(CliServices services)
    {
        var root = new RootCommand("hoard: the command-line client of Hoard, a Database-as-a-Service with OpenStack Trove's API.");
        root.Options.Add(GlobalOptions.CreateOutput());
        root.With(
            LoginCommand.Create(services), LogoutCommand.Create(services), WhoamiCommand.Create(services),
            InstanceCommands.Create(services), DatabaseCommands.Create(services), UserCommands.Create(services),
            RootCommands.Create(services), BackupCommands.Create(services), BackupScheduleCommands.Create(services),
            BackupStrategyCommands.Create(services), EventCommands.Create(services),
            ConfigurationCommands.Create(services), DatastoreCommands.Create(services), FlavorCommands.Create(services),
            QuotaCommands.Create(services), AdminCommands.Create(services), ConnectCommand.Create(services),
            Commands.Logs.LogCommands.Create(services),
            CompletionCommands.Create());
        return root;
    }

    public static async Task<int> RunAsync(string[] args, CliEnvironment environment)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(100) };
        var parse = BuildRoot(new CliServices(environment, http, TimeProvider.System)).Parse(args);
        if (parse.Action is ParseErrorAction)
        {
            foreach (var error in parse.Errors)
            {
                await environment.Error.WriteLineAsync("hoard: " + error.Message);
            }

            await environment.Error.WriteLineAsync($"Run '{CommandPath(parse)} --help' for usage.");
            return ExitCodes.Usage;
        }

        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration
            {
                Output = environment.Out, Error = environment.Error, EnableDefaultExceptionHandler = false,
            });
        }
        catch (CliException e)
        {
            return await FailAsync(environment, e.Message, e.ExitCode);
        }
        catch (OperationCanceledException)
        {
            return await FailAsync(environment, "Cancelled.", ExitCodes.Failed);
        }
        catch (Exception e) when (e is JsonException or FormatException)
        {
            return await FailAsync(environment, "The server's answer was not what hoard expected: " + e.Message, ExitCodes.Failed);
        }
        catch (Exception e)
        {
            // Never a stack trace: the type and message are what a user can report.
            return await FailAsync(environment, $"{e.GetType().Name}: {e.Message}", ExitCodes.Failed);
        }
    }

    private static async Task<int> FailAsync(CliEnvironment environment, string message, int exitCode)
    {
        await environment.Error.WriteLineAsync("hoard: " + message);
        return exitCode;
    }

    private static string CommandPath(ParseResult parse)
    {
        var names = new List<string>();
        for (var result = parse.CommandResult; result is not null; result = result.Parent as System.CommandLine.Parsing.CommandResult)
        {
            names.Insert(0, result.Command is RootCommand ? "hoard" : result.Command.Name);
        }

        return string.Join(' ', names);
    }
}

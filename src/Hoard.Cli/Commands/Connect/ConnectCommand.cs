using System.CommandLine;
using System.Diagnostics;

namespace Hoard.Cli.Commands.Connect;

/// <summary><c>hoard connect</c>: runs the datastore's own client (mariadb, psql, redis-cli) against an instance.</summary>
internal static class ConnectCommand
{
    public static Command Create(CliServices services)
    {
        var instance = Instances.InstanceOperations.Argument(services);
        var user = new Option<string>("--user", "-u") { Description = "Who connects (default: the datastore's superuser: root, postgres, default)." };
        var database = new Option<string>("--database", "-d") { Description = "The database to open." };
        var passwordStdin = new Option<bool>("--password-stdin") { Description = "Read the password from standard input (else a prompt on a terminal)." };
        var clientArguments = new Argument<string[]>("client-arguments")
        {
            Description = "More arguments for the client, after --, e.g. -- -e 'SELECT 1'.", Arity = ArgumentArity.ZeroOrMore,
        };
        var command = new Command("connect", "Open the datastore's own client (mariadb, psql, redis-cli) at an instance.")
            .With(instance, user, database, passwordStdin, clientArguments);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var context = new CommandContext(parse, services, cancellationToken);
            var shown = await Instances.InstanceOperations.ShowAsync(context, context.Get(instance));
            var endpoint = InstanceEndpoint.Require(shown);
            var login = context.Get(user) ?? endpoint.Client.DefaultUser;
            var start = new ProcessStartInfo(endpoint.Client.Program) { UseShellExecute = false };
            foreach (var argument in endpoint.Client.Arguments(endpoint.Host, endpoint.Port, login, context.Get(database)).Concat(context.Get(clientArguments)))
            {
                start.ArgumentList.Add(argument);
            }

            if (context.ReadSecret(passwordStdin, $"Password for {login}: ", required: false) is { } password)
            {
                start.Environment[endpoint.Client.PasswordVariable] = password;
            }

            return await RunAsync(start, cancellationToken);
        });
        return command;
    }

    private static async Task<int> RunAsync(ProcessStartInfo start, CancellationToken cancellationToken)
    {
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new CliException($"{start.FileName} did not start.");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new CliException($"Cannot run {start.FileName}: {e.Message}. Install the datastore's client.");
        }

        using (process)
        {
            await process.WaitForExitAsync(cancellationToken);
            return process.ExitCode;
        }
    }
}

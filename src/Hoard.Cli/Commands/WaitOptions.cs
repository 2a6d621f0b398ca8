using System.CommandLine;

namespace Hoard.Cli.Commands;

/// <summary><c>--wait</c> and <c>--timeout</c>, for the commands that start a long operation.</summary>
internal sealed class WaitOptions
{
    public Option<bool> Wait { get; } = new("--wait", "-w")
    {
        Description = "Wait until the operation is over, showing each status as it changes.",
    };

    public Option<int> Timeout { get; } = new("--timeout")
    {
        Description = "With --wait: give up (exit 5) after this many seconds.",
        DefaultValueFactory = _ => 900,
    };

    public WaitOptions(Command command)
    {
        Timeout.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() <= 0)
            {
                r.AddError("--timeout must be a positive number of seconds.");
            }
        });
        command.Options.Add(Wait);
        command.Options.Add(Timeout);
    }
}

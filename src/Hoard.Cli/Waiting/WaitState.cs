namespace Hoard.Cli.Waiting;

/// <summary>Where a waited-for resource is: a label to show (its status), and whether the wait is over, and how.</summary>
internal sealed record WaitState(string Label, WaitOutcome Outcome, string? Failure = null);

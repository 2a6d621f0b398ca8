namespace Hoard.Cli.Waiting;

internal enum WaitOutcome
{
    Pending,
    Done,
    Failed,
}

namespace Hoard.Core.Workflows;

/// <summary>What a step asks of the engine next.</summary>
public abstract record StepOutcome
{
    public static readonly StepOutcome Next = new NextStep();

    /// <summary>Run this step again after <paramref name="delay"/> (or sooner when woken); its deadline still runs.</summary>
    public static StepOutcome WaitFor(TimeSpan delay) => new Wait(delay);

    public static StepOutcome Fail(string message, string? details = null) => new Failed(message, details);

    public sealed record NextStep : StepOutcome;

    public sealed record Wait(TimeSpan Delay) : StepOutcome;

    public sealed record Failed(string Message, string? Details) : StepOutcome;
}

namespace Hoard.Core.Workflows;

/// <summary>
/// A long operation as a sequence of idempotent steps. The engine persists progress after every step, so a
/// server restart resumes at the step that was running; every step has a deadline.
/// </summary>
public interface IWorkflow
{
    string Type { get; }

    IReadOnlyList<WorkflowStep> Steps { get; }

    /// <summary>Record the failure where users see it (instance fault, error task). Must be idempotent.</summary>
    Task OnFailedAsync(WorkflowContext context, WorkflowFault fault, CancellationToken cancellationToken);
}

public delegate Task<StepOutcome> StepAction(WorkflowContext context, CancellationToken cancellationToken);

public sealed record WorkflowStep(string Name, TimeSpan Deadline, StepAction Run);

/// <param name="TimedOut">True when the step missed its deadline (rather than failing on its own).</param>
public sealed record WorkflowFault(string Step, string Message, string? Details, bool TimedOut = false);

namespace Hoard.Core.Workflows;

/// <summary>
/// The store refused to save a workflow that someone else ended (for example an admin's reset_status) or that another
/// task manager took over after this one's lease ran out.
/// </summary>
public sealed class WorkflowAbandonedException(string workflowId)
    : Exception($"Workflow {workflowId} was ended elsewhere or is held by another task manager.");

namespace Hoard.Core.Workflows;

/// <summary>The store refused to save a workflow that someone else ended (for example an admin's reset_status).</summary>
public sealed class WorkflowAbandonedException(string workflowId)
    : Exception($"Workflow {workflowId} was ended elsewhere and is no longer running.");

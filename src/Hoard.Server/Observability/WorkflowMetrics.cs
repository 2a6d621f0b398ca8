using Hoard.Core.Workflows;

namespace Hoard.Server.Observability;

/// <summary>Counts workflows as the engine starts and ends them, with how long each took from its creation.</summary>
internal sealed class WorkflowMetrics(HoardMetrics metrics, TimeProvider time) : IWorkflowObserver
{
    public void Started(WorkflowRecord workflow) => metrics.WorkflowsStarted.WithLabels(workflow.Type).Inc();

    public void Finished(WorkflowRecord workflow) =>
        metrics.Workflows.WithLabels(workflow.Type, workflow.Status.ToLowerInvariant())
            .Observe(Math.Max(0, (time.GetUtcNow() - workflow.Created).TotalSeconds));
}

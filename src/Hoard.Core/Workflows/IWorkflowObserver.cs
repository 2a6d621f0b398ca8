namespace Hoard.Core.Workflows;

/// <summary>Told when a workflow starts and when it ends, for metrics. Must be cheap and must not throw.</summary>
public interface IWorkflowObserver
{
    void Started(WorkflowRecord workflow);

    /// <summary><paramref name="workflow"/>'s status is <see cref="WorkflowStatus.Succeeded"/> or <see cref="WorkflowStatus.Failed"/>.</summary>
    void Finished(WorkflowRecord workflow);
}

namespace Hoard.Core.Workflows;

/// <summary>
/// Carries an engine's signals to the task managers of other processes when this one does not drive the workflow
/// concerned (an API process, or a conductor whose instance's workflow another task manager owns). Best effort:
/// a lost signal only delays a workflow until the next scan or the end of its step's wait.
/// </summary>
public interface IWorkflowSignalRelay
{
    /// <summary>A workflow was inserted: some task manager should claim it now.</summary>
    void WorkflowCreated();

    /// <summary>The waiting step of <paramref name="instanceId"/>'s workflow should run again, wherever it is driven.</summary>
    void Wake(string instanceId);
}

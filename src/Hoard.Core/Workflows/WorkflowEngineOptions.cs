namespace Hoard.Core.Workflows;

/// <summary>
/// Who this engine is among the task managers sharing a state DB, and how long its claim on a workflow lasts unless it
/// renews it. A task manager that dies keeps its workflows for at most <see cref="Lease"/>; another then takes them over.
/// </summary>
public sealed class WorkflowEngineOptions
{
    /// <summary>
    /// Unique per process start: a restarted task manager is a new owner, so that nothing it claimed before a crash is
    /// mistaken for a claim it still holds.
    /// </summary>
    public string Owner { get; init; } = NewOwner();

    /// <summary>How long a claim lasts; it is renewed every third of it while the workflow runs.</summary>
    public TimeSpan Lease { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// This engine is the only one that can ever run on its state DB (one process on the embedded bus): claims left by a
    /// previous run of it, killed, are taken over at once instead of after their leases.
    /// </summary>
    public bool Sole { get; init; }

    /// <summary>Host, process id and a random suffix: readable in the state DB, and never reused.</summary>
    public static string NewOwner() =>
        $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}";
}

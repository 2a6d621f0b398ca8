namespace Hoard.Core.Workflows;

public static class WorkflowStatus
{
    public const string Running = "RUNNING";
    public const string Succeeded = "SUCCEEDED";
    public const string Failed = "FAILED";
}

/// <summary>A workflow's persisted progress. <see cref="Data"/> is the JSON state its steps share.</summary>
public sealed class WorkflowRecord
{
    public required string Id { get; set; }
    public required string Type { get; set; }
    public required string InstanceId { get; set; }
    public string Status { get; set; } = WorkflowStatus.Running;
    public int Step { get; set; }
    public DateTimeOffset? StepStarted { get; set; }
    public string Data { get; set; } = "{}";
    public string? Error { get; set; }
    public DateTimeOffset Created { get; set; }
    public DateTimeOffset Updated { get; set; }
}

public interface IWorkflowStore
{
    Task<IReadOnlyList<WorkflowRecord>> ListRunningAsync(CancellationToken cancellationToken);

    Task SaveAsync(WorkflowRecord workflow, CancellationToken cancellationToken);
}

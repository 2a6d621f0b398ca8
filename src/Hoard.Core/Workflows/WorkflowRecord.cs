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

    /// <summary>The task manager that holds the workflow (null: nobody yet, or released).</summary>
    public string? Owner { get; set; }

    /// <summary>Until when <see cref="Owner"/>'s claim holds unless renewed; after it, any task manager may take over.</summary>
    public DateTimeOffset? LeaseExpires { get; set; }
}

/// <summary>
/// Where workflows persist. Every write by an engine is fenced on its ownership: a claim is one conditional update, and a
/// save or renewal by an engine that has lost the workflow (to a takeover or an admin's reset_status) changes nothing.
/// </summary>
public interface IWorkflowStore
{
    Task<IReadOnlyList<WorkflowRecord>> ListRunningAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Claims a running workflow for <paramref name="owner"/> until <paramref name="leaseExpires"/> if it is unowned, owned by
    /// <paramref name="owner"/> already, or its lease ended before <paramref name="now"/>; returns it as stored after the
    /// claim (another owner may have advanced it since it was listed), or null when someone else holds it or it ended.
    /// </summary>
    Task<WorkflowRecord?> TryClaimAsync(string id, string owner, DateTimeOffset now, DateTimeOffset leaseExpires,
        CancellationToken cancellationToken);

    /// <summary>Extends <paramref name="owner"/>'s leases on <paramref name="ids"/>; returns those it still holds (running and its own).</summary>
    Task<IReadOnlySet<string>> RenewAsync(string owner, IReadOnlyCollection<string> ids, DateTimeOffset leaseExpires,
        CancellationToken cancellationToken);

    /// <summary>Gives up <paramref name="owner"/>'s claims on running workflows (a clean stop), so another task manager resumes them at once.</summary>
    Task ReleaseAsync(string owner, CancellationToken cancellationToken);

    /// <summary>
    /// Saves progress and extends the lease, only while the workflow is running and <see cref="WorkflowRecord.Owner"/> still
    /// holds it; otherwise throws <see cref="WorkflowAbandonedException"/>.
    /// </summary>
    Task SaveAsync(WorkflowRecord workflow, CancellationToken cancellationToken);
}

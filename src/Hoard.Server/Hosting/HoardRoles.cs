namespace Hoard.Server.Hosting;

/// <summary>
/// What one hoard-server process runs: <c>api</c> (the HTTP API and dashboard), <c>taskmanager</c> (workflows and the
/// background jobs that act on instances), <c>conductor</c> (guest reports). All three by default, as one process.
/// </summary>
public sealed record HoardRoles(bool Api, bool TaskManager, bool Conductor)
{
    public const string ApiName = "api";
    public const string TaskManagerName = "taskmanager";
    public const string ConductorName = "conductor";

    public static readonly HoardRoles All = new(true, true, true);

    public bool IsAll => Api && TaskManager && Conductor;

    /// <summary>
    /// All roles on the embedded bus: no other process can share this state DB's work, so whatever a previous run of it
    /// claimed is taken over at once after a crash, and singleton jobs need no lease.
    /// </summary>
    public bool SoleProcess { get; init; }

    /// <summary>Parses a comma-separated list (<c>--roles api,conductor</c> or <c>Hoard:Roles</c>); empty means all.</summary>
    /// <exception cref="InvalidOperationException">A role that does not exist, named so the operator can fix it.</exception>
    public static HoardRoles Parse(string? value)
    {
        var names = (value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(n => n.ToLowerInvariant()).ToList();
        if (names.Count == 0)
        {
            return All;
        }

        var unknown = names.Where(n => n is not (ApiName or TaskManagerName or ConductorName)).ToList();
        if (unknown.Count > 0)
        {
            throw new InvalidOperationException(
                $"Unknown role{(unknown.Count > 1 ? "s" : "")} '{string.Join("', '", unknown)}' in --roles / Hoard:Roles; " +
                $"use a comma-separated list of {ApiName}, {TaskManagerName} and {ConductorName}.");
        }

        return new HoardRoles(names.Contains(ApiName), names.Contains(TaskManagerName), names.Contains(ConductorName));
    }

    public override string ToString() => string.Join(",",
        new[] { (Api, ApiName), (TaskManager, TaskManagerName), (Conductor, ConductorName) }.Where(r => r.Item1).Select(r => r.Item2));
}

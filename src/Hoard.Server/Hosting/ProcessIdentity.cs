using Hoard.Core.Workflows;

namespace Hoard.Server.Hosting;

/// <summary>
/// This process's name among those sharing the state DB and bus: the owner of its workflow claims and leases, and its own
/// bus topic. New at each start (host, pid, random suffix), so a restarted process never mistakes an old claim for its own.
/// </summary>
internal sealed class ProcessIdentity
{
    public string Id { get; } = WorkflowEngineOptions.NewOwner();
}

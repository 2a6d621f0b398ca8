using Hoard.Core.Instances;

namespace Hoard.Persistence;

/// <summary>
/// A page of a project's live instances, newest first, with the live replicas of each (ids, oldest first; an instance
/// without replicas is absent), as <c>GET /instances</c> shows them: read with one command on one connection.
/// </summary>
public sealed record InstancePage(IReadOnlyList<InstanceRecord> Instances, IReadOnlyDictionary<string, IReadOnlyList<string>> Replicas);

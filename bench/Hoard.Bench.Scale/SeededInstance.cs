namespace Hoard.Bench.Scale;

/// <summary>An instance the bench put in the state DB, with the bus secret its (simulated) guest authenticates with.</summary>
internal sealed record SeededInstance(string Id, string ProjectId, string ProjectName, string BusSecret);

namespace Hoard.Bench.Provisioning;

internal sealed record InstanceMemory(string InstanceId, int? GuestPid, MemoryUse? Guest, int? ServerPid, MemoryUse? Server);

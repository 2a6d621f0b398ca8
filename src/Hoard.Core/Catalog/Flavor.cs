namespace Hoard.Core.Catalog;

public sealed record Flavor(string Id, string Name, int RamMb, int Vcpus, int DiskGb);

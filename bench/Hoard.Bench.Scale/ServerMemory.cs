namespace Hoard.Bench.Scale;

/// <summary>hoard-server's memory at one moment or over a phase: RSS and PSS from /proc, the GC heap from its runtime counters.</summary>
internal sealed record ServerMemory(long RssKb, long PssKb, double? GcHeapMb)
{
    public string RssMb => $"{RssKb / 1024.0:0.0}";

    public string PssMb => $"{PssKb / 1024.0:0.0}";

    public string HeapMb => GcHeapMb is { } heap ? $"{heap:0.0}" : "-";
}

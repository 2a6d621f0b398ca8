namespace Hoard.Bench.Provisioning;

internal sealed record MemoryUse(long RssKb, long PssKb)
{
    public override string ToString() => $"RSS {RssKb / 1024.0:0.0} MB, PSS {PssKb / 1024.0:0.0} MB";
}

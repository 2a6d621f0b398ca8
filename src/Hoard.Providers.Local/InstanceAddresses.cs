namespace Hoard.Providers.Local;

/// <summary>The addresses the local compute provider tries, in order, for a new instance.</summary>
internal static class InstanceAddresses
{
    public static IEnumerable<string> Candidates(LocalOptions options)
    {
        if (options.AddressPool is { Count: > 0 } pool)
        {
            foreach (var address in pool)
            {
                yield return address;
            }

            yield break;
        }

        // .0 and .255 are avoided to keep addresses unsurprising; .1 is left for the host side.
        for (var i = 2; i < 256 * 256; i++)
        {
            var (x, y) = (i / 256, i % 256);
            if (y is not (0 or 1 or 255))
            {
                yield return $"127.{options.LoopbackSecondOctet}.{x}.{y}";
            }
        }
    }
}

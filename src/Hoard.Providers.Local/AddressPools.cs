using System.Net;

namespace Hoard.Providers.Local;

/// <summary>Parses an address pool: single IPv4 addresses and ranges that vary the last octet (<c>10.0.0.10-10.0.0.50</c>).</summary>
public static class AddressPools
{
    public static IReadOnlyList<string> Expand(IEnumerable<string> entries)
    {
        var addresses = new List<string>();
        foreach (var raw in entries)
        {
            var entry = raw.Trim();
            var dash = entry.IndexOf('-', StringComparison.Ordinal);
            if (dash < 0)
            {
                addresses.Add(Parse(entry).ToString());
                continue;
            }

            var first = Parse(entry[..dash]).GetAddressBytes();
            var last = Parse(entry[(dash + 1)..]).GetAddressBytes();
            if (!first.AsSpan(0, 3).SequenceEqual(last.AsSpan(0, 3)) || first[3] > last[3])
            {
                throw new InvalidDataException($"Address range '{entry}' must vary only the last octet, upwards.");
            }

            for (int octet = first[3]; octet <= last[3]; octet++)
            {
                addresses.Add($"{first[0]}.{first[1]}.{first[2]}.{octet}");
            }
        }

        return addresses.Distinct(StringComparer.Ordinal).ToList();
    }

    private static IPAddress Parse(string text) =>
        IPAddress.TryParse(text.Trim(), out var address) && address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork
            ? address
            : throw new InvalidDataException($"'{text}' is not an IPv4 address.");
}

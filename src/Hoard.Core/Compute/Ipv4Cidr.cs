using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Hoard.Core.Compute;

/// <summary>An IPv4 network in CIDR notation, <c>a.b.c.d/n</c>, with its host bits zero.</summary>
public readonly record struct Ipv4Cidr(uint Network, int PrefixLength)
{
    public uint Mask => PrefixLength == 0 ? 0 : uint.MaxValue << (32 - PrefixLength);

    public static Ipv4Cidr Parse(string text) =>
        TryParse(text, out var cidr, out var error) ? cidr : throw new FormatException(error);

    /// <summary>
    /// Reads <c>a.b.c.d/n</c> (n 0–32) or a bare address (a /32, as Trove's schema allows). Octets are decimal
    /// without leading zeros, so nothing reads as octal; an address with host bits set is refused rather than
    /// silently widened or narrowed, and the error names the network that was probably meant.
    /// </summary>
    public static bool TryParse(string? text, out Ipv4Cidr cidr, [NotNullWhen(false)] out string? error)
    {
        cidr = default;
        if (string.IsNullOrEmpty(text))
        {
            error = "an empty string is not an IPv4 CIDR";
            return false;
        }

        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var addressText = slash < 0 ? text : text[..slash];
        var prefix = 32;
        if (slash >= 0 && !TryNumber(text[(slash + 1)..], 32, out prefix))
        {
            error = $"'{text}' is not an IPv4 CIDR: the prefix length after '/' must be a whole number from 0 to 32";
            return false;
        }

        var octets = addressText.Split('.');
        uint address = 0;
        foreach (var octet in octets)
        {
            if (octets.Length != 4 || !TryNumber(octet, 255, out var value))
            {
                error = $"'{text}' is not an IPv4 CIDR (a.b.c.d/n, each of a–d a number from 0 to 255)";
                return false;
            }

            address = (address << 8) | (uint)value;
        }

        cidr = new Ipv4Cidr(address, prefix);
        if ((address & ~cidr.Mask) != 0)
        {
            error = $"'{text}' has host bits set (they must be zero); did you mean {new Ipv4Cidr(address & cidr.Mask, prefix)}?";
            cidr = default;
            return false;
        }

        error = null;
        return true;
    }

    public bool Contains(uint address) => (address & Mask) == Network;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Network >> 24}.{(Network >> 16) & 0xff}.{(Network >> 8) & 0xff}.{Network & 0xff}/{PrefixLength}");

    /// <summary>ASCII digits only, no sign, no leading zero, at most <paramref name="max"/>.</summary>
    private static bool TryNumber(string text, int max, out int value)
    {
        value = 0;
        if (text.Length is 0 or > 3 || !text.All(char.IsAsciiDigit) || (text.Length > 1 && text[0] == '0'))
        {
            return false;
        }

        value = int.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture);
        return value <= max;
    }
}

using Hoard.Core.Compute;

namespace Hoard.Core.Instances;

/// <summary>
/// The networks that may connect to an instance's database port (Trove's <c>access.allowed_cidrs</c>). No networks
/// means no restriction, Trove's default; a list holding <c>0.0.0.0/0</c> means the same and is stored as none.
/// </summary>
public static class AllowedCidrs
{
    /// <summary>Keeps each instance's rule small and a request's validation bounded.</summary>
    public const int MaxEntries = 50;

    /// <summary>What the API shows for an unrestricted instance, as Trove shows it.</summary>
    public const string Everyone = "0.0.0.0/0";

    /// <summary>Validates and normalises a requested list; empty when it restricts nothing.</summary>
    /// <exception cref="FormatException">An entry is no IPv4 CIDR, has host bits set, appears twice, or there are too many.</exception>
    public static IReadOnlyList<Ipv4Cidr> Parse(IReadOnlyList<string> values)
    {
        if (values.Count > MaxEntries)
        {
            throw new FormatException($"at most {MaxEntries} CIDRs may be allowed, {values.Count} were given");
        }

        var cidrs = new List<Ipv4Cidr>(values.Count);
        foreach (var value in values)
        {
            if (!Ipv4Cidr.TryParse(value, out var cidr, out var error))
            {
                throw new FormatException(error);
            }

            if (cidrs.Contains(cidr))
            {
                throw new FormatException($"{cidr} is given more than once; each CIDR must be unique");
            }

            cidrs.Add(cidr);
        }

        return cidrs.Any(c => c.PrefixLength == 0) ? [] : cidrs;
    }

    /// <summary>The state DB's form: comma-separated, or null when unrestricted.</summary>
    public static string? ToStored(IReadOnlyList<Ipv4Cidr> cidrs) => cidrs.Count == 0 ? null : string.Join(',', cidrs);

    public static IReadOnlyList<Ipv4Cidr> FromStored(string? stored) =>
        string.IsNullOrEmpty(stored) ? [] : [.. stored.Split(',').Select(Ipv4Cidr.Parse)];
}

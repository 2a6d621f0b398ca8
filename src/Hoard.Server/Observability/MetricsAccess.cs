using System.Security.Cryptography;
using System.Text;

namespace Hoard.Server.Observability;

/// <summary>Who may scrape <c>/metrics</c>: anyone, unless the operator set <see cref="ObservabilityOptions.MetricsBearerToken"/>.</summary>
internal static class MetricsAccess
{
    private const string Scheme = "Bearer ";

    public static bool Allows(HttpRequest request, string? bearerToken)
    {
        if (string.IsNullOrEmpty(bearerToken))
        {
            return true;
        }

        var header = request.Headers.Authorization.ToString();
        return header.StartsWith(Scheme, StringComparison.Ordinal) &&
               CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header[Scheme.Length..]), Encoding.UTF8.GetBytes(bearerToken));
    }
}

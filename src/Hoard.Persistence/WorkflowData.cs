using System.Text.Json;

namespace Hoard.Persistence;

/// <summary>
/// Reads a property of a workflow's data (a JSON object) in C#: SQLite's and PostgreSQL's JSON functions differ, and
/// the queries that need them look only at the few running workflows. Data that is not a JSON object has no properties.
/// </summary>
internal static class WorkflowData
{
    /// <summary>The string value of <paramref name="property"/>, or null.</summary>
    public static string? String(string data, string property)
    {
        using var document = Parse(data);
        return document is not null && document.RootElement.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;
    }

    /// <summary>The strings in the array <paramref name="property"/>; empty when it is missing or not an array.</summary>
    public static IReadOnlyList<string> Strings(string data, string property)
    {
        using var document = Parse(data);
        if (document is null || !document.RootElement.TryGetProperty(property, out var value) || value.ValueKind != JsonValueKind.Array)
            return [];
        return [.. value.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!)];
    }

    private static JsonDocument? Parse(string data)
    {
        try
        {
            var document = JsonDocument.Parse(data);
            if (document.RootElement.ValueKind == JsonValueKind.Object)
                return document;
            document.Dispose();
            return null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Hoard.Server.Trove;

/// <summary>Reads and validates request bodies, answering bad input with Trove's "Validation error: …" faults.</summary>
internal static partial class Body
{
    public static async Task<JsonObject> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        JsonNode? node;
        try
        {
            node = await JsonNode.ParseAsync(request.Body, cancellationToken: cancellationToken);
        }
        catch (JsonException)
        {
            throw TroveFault.BadRequest("The request body is not valid JSON.");
        }

        return node as JsonObject ?? throw TroveFault.Validation("the request body must be a JSON object.");
    }

    /// <summary>The one wrapper object (<c>{"instance":{…}}</c>) a request must carry.</summary>
    public static JsonObject Wrapper(JsonObject body, string key) =>
        body[key] is JsonObject inner ? inner : throw TroveFault.Validation($"'{key}' is a required object.");

    public static JsonObject? Object(JsonObject parent, string key, string path) => parent[key] switch
    {
        null => null,
        JsonObject o => o,
        _ => throw TroveFault.Validation($"{path}.{key} must be an object."),
    };

    public static JsonArray? Array(JsonObject parent, string key, string path) => parent[key] switch
    {
        null => null,
        JsonArray a => a,
        _ => throw TroveFault.Validation($"{path}.{key} must be an array."),
    };

    public static string? String(JsonObject parent, string key, string path, bool required = false, int maxLength = 255)
    {
        var node = parent[key];
        if (node is null)
        {
            return required ? throw TroveFault.Validation($"{path}.{key} is a required property.") : null;
        }

        if (node.GetValueKind() != JsonValueKind.String)
        {
            throw TroveFault.Validation($"{path}.{key} must be a string.");
        }

        var value = node.GetValue<string>();
        if (value.Length == 0)
        {
            throw TroveFault.Validation($"{path}.{key} must not be empty.");
        }

        return value.Length > maxLength
            ? throw TroveFault.Validation($"{path}.{key} is longer than {maxLength} characters.")
            : value;
    }

    /// <summary>Trove's <c>non_empty_string</c>: 1..255 characters with at least one letter or digit.</summary>
    public static string NonEmptyName(JsonObject parent, string key, string path)
    {
        var value = String(parent, key, path, required: true)!;
        return AlphaNumeric().IsMatch(value)
            ? value
            : throw TroveFault.Validation($"{path}.{key} must contain at least one letter or digit.");
    }

    /// <summary>A string or an integer (Trove's <c>flavorref</c>); hrefs are reduced to their last segment.</summary>
    public static string? Reference(JsonObject parent, string key, string path, bool required = false)
    {
        var node = parent[key];
        if (node is null)
        {
            return required ? throw TroveFault.Validation($"{path}.{key} is a required property.") : null;
        }

        var value = node.GetValueKind() switch
        {
            JsonValueKind.String => node.GetValue<string>(),
            JsonValueKind.Number when node.AsValue().TryGetValue<long>(out var n) => n.ToString(System.Globalization.CultureInfo.InvariantCulture),
            _ => throw TroveFault.Validation($"{path}.{key} must be a string or an integer."),
        };
        value = value.TrimEnd('/');
        var slash = value.LastIndexOf('/');
        value = slash >= 0 ? value[(slash + 1)..] : value;
        return value.Length == 0 ? throw TroveFault.Validation($"{path}.{key} must not be empty.") : value;
    }

    /// <summary>Trove's <c>volume_size</c>: an integer ≥ 1, or a string of digits. Sizes beyond int range come back as
    /// <see cref="int.MaxValue"/>, so that the caller's maximum answers them with 413 as Trove does.</summary>
    public static int PositiveInteger(JsonObject parent, string key, string path)
    {
        var node = parent[key] ?? throw TroveFault.Validation($"{path}.{key} is a required property.");
        long? value = node.GetValueKind() switch
        {
            JsonValueKind.Number when node.AsValue().TryGetValue<long>(out var n) => n,
            JsonValueKind.Number when node.AsValue().TryGetValue<double>(out var d) && d >= 1 && d == Math.Floor(d) => long.MaxValue,
            JsonValueKind.String when long.TryParse(node.GetValue<string>(), System.Globalization.NumberStyles.None,
                System.Globalization.CultureInfo.InvariantCulture, out var n) => n,
            JsonValueKind.String when node.GetValue<string>() is { Length: > 0 } digits && digits.All(char.IsAsciiDigit) => long.MaxValue,
            _ => null,
        };
        return value is >= 1 ? (int)Math.Min(value.Value, int.MaxValue) : throw TroveFault.Validation($"{path}.{key} must be a positive integer.");
    }

    public static bool? Boolean(JsonObject parent, string key, string path) => parent[key] switch
    {
        null => null,
        var n when n.GetValueKind() is JsonValueKind.True or JsonValueKind.False => n.GetValue<bool>(),
        _ => throw TroveFault.Validation($"{path}.{key} must be a boolean."),
    };

    public static void OnlyKeys(JsonObject o, string path, params string[] allowed)
    {
        foreach (var (key, _) in o)
        {
            if (!allowed.Contains(key))
            {
                throw TroveFault.Validation($"{path} has an unexpected property '{key}'.");
            }
        }
    }

    [GeneratedRegex("[A-Za-z0-9]")]
    private static partial Regex AlphaNumeric();
}

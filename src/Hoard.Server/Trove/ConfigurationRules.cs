using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hoard.Core.Catalog;

namespace Hoard.Server.Trove;

/// <summary>
/// A datastore version's configuration parameters as rules: which values a group may hold (Trove answers a bad
/// one with 422 naming the parameter), how each is written in the datastore's own syntax, and whether the
/// memory ones fit a flavor.
/// </summary>
internal sealed class ConfigurationRules(DatastoreVersion version)
{
    private const int MaxStringLength = 1024;

    private readonly Dictionary<string, ConfigurationParameter> _parameters =
        version.Parameters.ToDictionary(p => p.Name, StringComparer.Ordinal);

    public IReadOnlyList<ConfigurationParameter> Parameters => version.Parameters;

    /// <summary>The names a change of which needs a restart, for the guest.</summary>
    public IReadOnlyList<string> RestartRequired => [.. version.Parameters.Where(p => p.RestartRequired).Select(p => p.Name)];

    public ConfigurationParameter? Find(string name) => _parameters.GetValueOrDefault(name);

    /// <summary>Checks every value against the schema; returns a copy holding them as given.</summary>
    public JsonObject Validate(JsonObject values)
    {
        if (_parameters.Count == 0)
        {
            throw TroveFault.Unprocessable($"{version.DatastoreName} {version.Name} has no configuration parameters.");
        }

        var validated = new JsonObject();
        foreach (var (name, value) in values)
        {
            var parameter = Find(name) ?? throw TroveFault.Unprocessable(
                $"The configuration parameter '{name}' is not supported by {version.DatastoreName} {version.Name}.");
            Check(parameter, value);
            validated[name] = value!.DeepClone();
        }

        return validated;
    }

    /// <summary>The values in the datastore's own syntax, for the guest.</summary>
    public IReadOnlyDictionary<string, string> Render(JsonObject values)
    {
        var rendered = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in values)
        {
            var parameter = Find(name);
            if (parameter is null || value is null)
            {
                continue; // A parameter an operator has since removed from the schema is no longer applied.
            }

            rendered[name] = Render(parameter, value);
        }

        return rendered;
    }

    /// <summary>Refuses memory settings that cannot fit <paramref name="flavor"/>'s RAM.</summary>
    public void CheckFits(JsonObject values, Flavor flavor)
    {
        foreach (var (name, value) in values)
        {
            if (Find(name) is not { MaxRamFraction: { } fraction } parameter || value is null || UnitBytes(parameter.Unit) is not { } unit)
            {
                continue;
            }

            var bytes = value.GetValue<decimal>() * unit;
            var limit = (decimal)flavor.RamMb * 1024 * 1024 * (decimal)fraction;
            if (bytes > limit)
            {
                throw TroveFault.Unprocessable(
                    $"The value {Plain(value)} of '{name}' ({bytes / (1024 * 1024):0.#} MB) does not fit flavor {flavor.Name} " +
                    $"with {flavor.RamMb} MB of RAM: at most {fraction:P0} of it, {limit / (1024 * 1024):0} MB.");
            }
        }
    }

    /// <summary>A short digest of rendered overrides; empty for none, so "no group" and "empty group" agree.</summary>
    public static string Digest(IReadOnlyDictionary<string, string> rendered)
    {
        if (rendered.Count == 0)
        {
            return "";
        }

        var text = new StringBuilder();
        foreach (var (key, value) in rendered.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            text.Append(key).Append('=').Append(value).Append('\n');
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..32];
    }

    /// <summary>Trove's parameter view, with <c>min_size</c>/<c>max_size</c> too (the CLI's column names).</summary>
    public static JsonObject View(ConfigurationParameter parameter, string versionId)
    {
        var view = new JsonObject
        {
            ["name"] = parameter.Name,
            ["datastore_version_id"] = versionId,
            ["restart_required"] = parameter.RestartRequired,
            ["type"] = parameter.Type,
        };
        if (parameter.Min is { } min)
        {
            view["min"] = min;
            view["min_size"] = min;
        }

        if (parameter.Max is { } max)
        {
            view["max"] = max;
            view["max_size"] = max;
        }

        if (parameter.Unit is { } unit)
        {
            view["unit"] = unit;
        }

        if (parameter.AllowedValues is { } allowed)
        {
            view["allowed_values"] = new JsonArray([.. allowed.Select(v => (JsonNode)v)]);
        }

        if (parameter.Description is { } description)
        {
            view["description"] = description;
        }

        return view;
    }

    private static void Check(ConfigurationParameter parameter, JsonNode? value)
    {
        var name = parameter.Name;
        var kind = value?.GetValueKind() ?? JsonValueKind.Null;
        switch (parameter.Type)
        {
            case "integer":
                if (kind != JsonValueKind.Number || !value!.AsValue().TryGetValue<long>(out var integer))
                {
                    throw WrongType(name, "an integer", kind);
                }

                CheckRange(parameter, integer);
                break;
            case "float":
                if (kind != JsonValueKind.Number)
                {
                    throw WrongType(name, "a number", kind);
                }

                CheckRange(parameter, value!.GetValue<decimal>());
                break;
            case "boolean":
                if (kind is not (JsonValueKind.True or JsonValueKind.False))
                {
                    throw WrongType(name, "a boolean (true or false)", kind);
                }

                break;
            default:
                if (kind != JsonValueKind.String)
                {
                    throw WrongType(name, "a string", kind);
                }

                var text = value!.GetValue<string>();
                if (text.Length == 0 || text.Length > MaxStringLength || text.Any(c => char.IsControl(c) || c is '\'' or '"' or '\\'))
                {
                    throw TroveFault.Unprocessable(
                        $"The value of '{name}' must be 1 to {MaxStringLength} characters without quotes, backslashes or control characters.");
                }

                if (parameter.AllowedValues is { Count: > 0 } allowed && !allowed.Contains(text, StringComparer.OrdinalIgnoreCase))
                {
                    throw TroveFault.Unprocessable($"The value '{text}' of '{name}' is not one of: {string.Join(", ", allowed)}.");
                }

                break;
        }
    }

    private static void CheckRange(ConfigurationParameter parameter, decimal value)
    {
        if (parameter.Min is { } min && value < min)
        {
            throw TroveFault.Unprocessable($"The value {value.ToString(CultureInfo.InvariantCulture)} of '{parameter.Name}' is less than its minimum {min.ToString(CultureInfo.InvariantCulture)}.");
        }

        if (parameter.Max is { } max && value > max)
        {
            throw TroveFault.Unprocessable($"The value {value.ToString(CultureInfo.InvariantCulture)} of '{parameter.Name}' is greater than its maximum {max.ToString(CultureInfo.InvariantCulture)}.");
        }
    }

    private static TroveFault WrongType(string name, string expected, JsonValueKind got) =>
        TroveFault.Unprocessable($"The value of '{name}' must be {expected}, not {Describe(got)}.");

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        _ => "null",
    };

    private string Render(ConfigurationParameter parameter, JsonNode value) => parameter.Type switch
    {
        "integer" => value.GetValue<long>().ToString(CultureInfo.InvariantCulture) + parameter.Suffix,
        "float" => value.GetValue<decimal>().ToString(CultureInfo.InvariantCulture) + parameter.Suffix,
        "boolean" => value.GetValue<bool>() ? version.Capabilities.BooleanTrue : version.Capabilities.BooleanFalse,
        _ => value.GetValue<string>(),
    };

    private static decimal? UnitBytes(string? unit) => unit switch
    {
        "bytes" => 1,
        "kB" => 1024,
        "MB" => 1024 * 1024,
        "GB" => 1024 * 1024 * 1024,
        _ => null,
    };

    private static string Plain(JsonNode value) => value.ToJsonString();
}

using System.Text.Json;
using System.Text.Json.Nodes;

namespace Hoard.Server.Apis;

/// <summary>
/// Reads and checks fields of a Keystone request body. A bad field throws <see cref="KeystoneInputException"/>, which
/// <see cref="Filter"/> answers with 400 before anything was changed.
/// </summary>
internal static class KeystoneInput
{
    private const int MaxNameLength = 255;
    private const int MaxDescriptionLength = 1000;
    private const int MaxPasswordLength = 4096;

    public static string? Name(JsonObject body, string kind)
    {
        var name = Text(body, "name", MaxNameLength);
        if (name is not null && (name.Trim().Length == 0 || name.Any(char.IsControl)))
        {
            throw new KeystoneInputException($"Invalid {kind} name: it must be non-empty and printable.");
        }

        return name;
    }

    public static string? Description(JsonObject body) => Text(body, "description", MaxDescriptionLength);

    public static string? Password(JsonObject body, string key = "password")
    {
        var password = Text(body, key, MaxPasswordLength);
        return password is { Length: 0 } ? throw new KeystoneInputException($"Invalid '{key}': it must not be empty.") : password;
    }

    public static string? Id(JsonObject body, string key) => Text(body, key, MaxNameLength);

    public static bool? Enabled(JsonObject body) => body["enabled"] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>(),
        _ => throw new KeystoneInputException("Invalid 'enabled': expected true or false."),
    };

    /// <summary>Only the default domain exists; null (absent) means it.</summary>
    public static void DefaultDomain(JsonObject body)
    {
        if (Id(body, "domain_id") is { } domain && domain != KeystoneBodies.DomainId)
        {
            throw new KeystoneInputException($"Could not find domain: {domain}. Hoard has only the default domain.");
        }
    }

    public static async ValueTask<object?> Filter(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (KeystoneInputException e)
        {
            return KeystoneReply.BadRequest(e.Message);
        }
    }

    private static string? Text(JsonObject body, string key, int maxLength) => body[key] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String && v.GetValue<string>() is { } s && s.Length <= maxLength => s,
        _ => throw new KeystoneInputException($"Invalid '{key}': expected a string of at most {maxLength} characters."),
    };
}

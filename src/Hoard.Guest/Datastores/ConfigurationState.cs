using System.Text.Json;
using System.Text.Json.Serialization;

namespace Hoard.Guest.Datastores;

/// <summary>
/// What the instance's configuration file was rendered from: the flavor's memory and the overrides. Kept in
/// <c>configuration.json</c> in the instance's etc directory, because the rendered file alone cannot tell a flavor
/// default from an override, and the next update must know both to see what changed.
/// </summary>
internal sealed record ConfigurationState(int MemoryMb, IReadOnlyDictionary<string, string> Overrides)
{
    public const string FileName = "configuration.json";

    public static ConfigurationState Defaults(int memoryMb) => new(memoryMb, new Dictionary<string, string>());

    /// <summary>Null when there is none: the instance was prepared by a guest that did not record it.</summary>
    public static ConfigurationState? Load(string path)
    {
        if (!File.Exists(path))
            return null;
        return JsonSerializer.Deserialize(File.ReadAllText(path), ConfigurationStateJson.Default.ConfigurationState)
               ?? throw new InvalidDataException($"{path} is empty.");
    }

    /// <summary>Replaces the file atomically (mode 0600): a crash leaves the previous state or this one.</summary>
    public void Save(string path) =>
        AtomicFile.Write(path, JsonSerializer.Serialize(this, ConfigurationStateJson.Default.ConfigurationState) + "\n",
            UnixFileMode.UserRead | UnixFileMode.UserWrite);
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true)]
[JsonSerializable(typeof(ConfigurationState))]
internal sealed partial class ConfigurationStateJson : JsonSerializerContext;

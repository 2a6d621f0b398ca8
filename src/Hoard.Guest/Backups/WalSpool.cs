using System.Text.Json;
using System.Text.Json.Serialization;
using Hoard.Contracts.Guest;
using Hoard.Guest.Datastores;

namespace Hoard.Guest.Backups;

/// <summary>
/// Where a datastore hands over finished log files for archiving, and where they go. The datastore's own archive step
/// (PostgreSQL's <c>archive_command</c>) copies each file into the spool on the volume, durably, and returns at once; the
/// guest's <see cref="WalSpoolUploader"/> sends the spool to hoard-server and empties it. The spool exists only while the
/// instance archives: without it the archive step does nothing.
/// </summary>
internal static class WalSpool
{
    /// <summary>Files being copied in start with this; the uploader leaves them alone.</summary>
    public const string TemporaryPrefix = ".";

    public static string Directory(InstancePaths paths) => Path.Combine(paths.Data, "wal-spool");

    /// <summary>The archive target (URL and WAL token): a secret, mode 0600, in the guest's private etc directory.</summary>
    public static string TargetFile(InstancePaths paths) => Path.Combine(paths.Etc, "wal-archive.json");

    public static void SaveTarget(InstancePaths paths, WalArchiveTarget target)
    {
        System.IO.Directory.CreateDirectory(paths.Etc);
        SecretFile.Write(TargetFile(paths), JsonSerializer.Serialize(new StoredTarget(target.Url, target.Token), WalSpoolJson.Default.StoredTarget));
    }

    public static WalArchiveTarget? LoadTarget(InstancePaths paths)
    {
        try
        {
            var stored = JsonSerializer.Deserialize(File.ReadAllText(TargetFile(paths)), WalSpoolJson.Default.StoredTarget);
            return stored is null ? null : new WalArchiveTarget(stored.Url, stored.Token);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or JsonException)
        {
            return null;
        }
    }

    internal sealed record StoredTarget(string Url, string Token);
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(WalSpool.StoredTarget))]
internal sealed partial class WalSpoolJson : JsonSerializerContext;

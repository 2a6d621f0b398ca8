using System.Text;
using System.Text.Json;
using Hoard.Core.Backups;

namespace Hoard.Server.GuestLogs;

/// <summary>
/// Published logs in the backup storage: in its <see cref="GuestLogLocation.DefaultContainer"/> container where it has
/// containers (Swift, S3), else under a directory of that name next to the backups (local). Stored as written: the guest
/// has masked passwords already, and users read these objects back as plain text.
/// </summary>
internal sealed class GuestLogStorage(IBackupStorage storage)
{
    private readonly IBackupStorage _store = storage.DefaultContainer is null ? storage : storage.InContainer(GuestLogLocation.DefaultContainer);
    private readonly string _keyPrefix = storage.DefaultContainer is null ? GuestLogLocation.DefaultContainer + "/" : "";

    public async Task<GuestLogMetafile> ReadMetafileAsync(GuestLogLocation location, CancellationToken cancellationToken)
    {
        try
        {
            await using var stream = await _store.OpenReadAsync(Key(location.Metafile), cancellationToken);
            return await JsonSerializer.DeserializeAsync(stream, GuestLogJson.Default.GuestLogMetafile, cancellationToken) ?? GuestLogMetafile.Empty;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            // Local storage says DirectoryNotFound when no log of the instance was ever published.
            return GuestLogMetafile.Empty;
        }
    }

    public async Task WriteMetafileAsync(GuestLogLocation location, GuestLogMetafile metafile, CancellationToken cancellationToken)
    {
        using var content = new MemoryStream(JsonSerializer.SerializeToUtf8Bytes(metafile, GuestLogJson.Default.GuestLogMetafile));
        await _store.PutAsync(Key(location.Metafile), content, cancellationToken);
    }

    public async Task WritePartAsync(GuestLogPart part, string text, CancellationToken cancellationToken)
    {
        using var content = new MemoryStream(Encoding.UTF8.GetBytes(text));
        await _store.PutAsync(Key(part.Name), content, cancellationToken);
    }

    public async Task<string> ReadPartAsync(GuestLogPart part, CancellationToken cancellationToken)
    {
        await using var stream = await _store.OpenReadAsync(Key(part.Name), cancellationToken);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return await reader.ReadToEndAsync(cancellationToken);
    }

    /// <summary>Removes every part, then the metafile: what is left after a failure is still listed, and removed next time.</summary>
    public async Task DiscardAsync(GuestLogLocation location, GuestLogMetafile metafile, CancellationToken cancellationToken)
    {
        foreach (var part in metafile.Parts)
            await _store.DeleteAsync(Key(part.Name), cancellationToken);
        await _store.DeleteAsync(Key(location.Metafile), cancellationToken);
    }

    private string Key(string name) => BackupKeys.Check(_keyPrefix + name.TrimEnd('/'));
}

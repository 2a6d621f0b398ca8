using System.Security.Cryptography;
using System.Text;

namespace Hoard.Core.Backups;

/// <summary>
/// The keys backups are encrypted with: one per project, derived (HKDF-SHA256) from a 32-byte master key kept in a file
/// only the server's user can read, created on first use. Neither key is ever logged or handed to a guest.
/// </summary>
public sealed class BackupKeyring(string masterKeyPath)
{
    private const int MasterKeySize = 32;
    private static readonly UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private readonly Lock _lock = new();
    private byte[]? _master;

    public string MasterKeyPath => masterKeyPath;

    /// <summary>The 32-byte AES key of <paramref name="projectId"/>'s backups.</summary>
    public byte[] ProjectKey(string projectId) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, Master(), BackupCipher.KeySize, salt: [],
            info: Encoding.UTF8.GetBytes("hoard backup key v1\0" + projectId));

    private byte[] Master()
    {
        lock (_lock)
        {
            return _master ??= File.Exists(masterKeyPath) ? Read() : Create();
        }
    }

    private byte[] Read()
    {
        var key = File.ReadAllBytes(masterKeyPath);
        return key.Length == MasterKeySize
            ? key
            : throw new InvalidDataException($"The backup master key {masterKeyPath} has {key.Length} bytes, not {MasterKeySize}.");
    }

    /// <summary>Written to a private temporary file and linked into place, so a crash never leaves a short key behind.</summary>
    private byte[] Create()
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(masterKeyPath))!;
        if (!Directory.Exists(dir))
        {
            Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        var key = RandomNumberGenerator.GetBytes(MasterKeySize);
        var temporary = $"{masterKeyPath}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var file = new FileStream(temporary, new FileStreamOptions
                   {
                       Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = OwnerOnly,
                   }))
            {
                file.Write(key);
                file.Flush(flushToDisk: true);
            }

            try
            {
                File.Move(temporary, masterKeyPath, overwrite: false);
            }
            catch (IOException) when (File.Exists(masterKeyPath))
            {
                return Read(); // Another process created it first: both must use the same key.
            }

            return key;
        }
        finally
        {
            File.Delete(temporary);
        }
    }
}

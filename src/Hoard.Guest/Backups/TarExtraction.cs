using System.Formats.Tar;

namespace Hoard.Guest.Backups;

/// <summary>
/// Unpacks a tar stream as it arrives into a directory, without trusting its names: an entry that would land outside
/// the directory, or one that is not a plain file or directory (a link, a device), fails the whole restore.
/// </summary>
internal static class TarExtraction
{
    private const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <param name="giveAway">Called on every directory and file made, e.g. to give it to the service user.</param>
    /// <returns>The number of files written.</returns>
    public static async Task<int> ExtractAsync(Stream tar, string target, Action<string> giveAway, CancellationToken cancellationToken)
    {
        var root = Path.GetFullPath(target);
        var files = 0;
        await using var reader = new TarReader(tar, leaveOpen: true);
        while (await reader.GetNextEntryAsync(copyData: false, cancellationToken) is { } entry)
        {
            var path = Resolve(root, entry.Name);
            switch (entry.EntryType)
            {
                case TarEntryType.Directory:
                    EnsureDirectory(root, path, giveAway);
                    break;
                case TarEntryType.RegularFile or TarEntryType.V7RegularFile:
                    EnsureDirectory(root, Path.GetDirectoryName(path)!, giveAway);
                    var options = new FileStreamOptions
                    {
                        Mode = System.IO.FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = FileMode, BufferSize = 0,
                    };
                    await using (var file = new FileStream(path, options))
                    {
                        if (entry.DataStream is { } data)
                            await data.CopyToAsync(file, BackupTransfers.BufferSize, cancellationToken);
                    }

                    giveAway(path);
                    files++;
                    break;
                default:
                    throw new InvalidDataException($"The backup holds '{entry.Name}', a {entry.EntryType} entry, which a restore does not unpack.");
            }
        }

        return files;
    }

    private static string Resolve(string root, string name)
    {
        var relative = name.Replace('\\', '/');
        while (relative.StartsWith("./", StringComparison.Ordinal))
            relative = relative[2..];
        if (relative is "" or "." or "./")
            return root;
        var path = Path.GetFullPath(Path.Combine(root, relative)).TrimEnd('/');
        if (relative.StartsWith('/') || relative.Split('/').Contains("..") || !path.StartsWith(root + "/", StringComparison.Ordinal))
            throw new InvalidDataException($"The backup holds '{name}', a path outside its data directory.");
        return path;
    }

    /// <summary>Makes the directory and any missing parents below <paramref name="root"/>, each private and given away.</summary>
    private static void EnsureDirectory(string root, string path, Action<string> giveAway)
    {
        if (path.Length <= root.Length || Directory.Exists(path))
            return;
        EnsureDirectory(root, Path.GetDirectoryName(path)!, giveAway);
        Directory.CreateDirectory(path, DirectoryMode);
        giveAway(path);
    }
}

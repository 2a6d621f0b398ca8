using System.Runtime.InteropServices;

namespace Hoard.Guest.Datastores.Native;

internal static partial class LibC
{
    private const int ReadOnly = 0;

    /// <summary>
    /// Makes a rename or a new file in <paramref name="path"/> durable. .NET cannot open a directory, so this goes to libc.
    /// </summary>
    public static void SyncDirectory(string path)
    {
        var fd = Open(path, ReadOnly);
        if (fd < 0)
            throw new IOException($"Cannot open directory {path} to sync it (errno {Marshal.GetLastPInvokeError()}).");
        try
        {
            if (Fsync(fd) != 0)
                throw new IOException($"fsync of directory {path} failed (errno {Marshal.GetLastPInvokeError()}).");
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [LibraryImport(Library, EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport(Library, EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport(Library, EntryPoint = "close")]
    private static partial int Close(int fd);
}

using System.Runtime.InteropServices;

namespace Hoard.Providers.Local;

/// <summary>The few libc calls .NET has no managed API for.</summary>
internal static partial class Posix
{
    public const int SigTerm = 15;
    public const int SigKill = 9;
    public const int SigUsr2 = 12;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int sig);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int lchown(string path, uint owner, uint group);

    [LibraryImport("libc")]
    private static partial uint geteuid();

    [LibraryImport("libc", EntryPoint = "sync_file_range", SetLastError = true)]
    private static partial int sync_file_range(Microsoft.Win32.SafeHandles.SafeFileHandle fd, long offset, long nbytes, uint flags);

    private const uint SyncFileRangeWrite = 2;

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr getpwnam(string name);

    [LibraryImport("libc", EntryPoint = "statvfs", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int statvfs_(string path, out StatVfs buffer);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr realpath(string path, IntPtr resolved);

    [LibraryImport("libc")]
    private static partial void free(IntPtr pointer);

    public static bool IsRoot => geteuid() == 0;

    /// <summary>The canonical absolute path (symbolic links resolved), as the kernel names it in its tables.</summary>
    public static string RealPath(string path)
    {
        var resolved = realpath(path, IntPtr.Zero);
        if (resolved == IntPtr.Zero)
        {
            throw new IOException($"realpath {path} failed (errno {Marshal.GetLastPInvokeError()}).");
        }

        try
        {
            return Marshal.PtrToStringUTF8(resolved)!;
        }
        finally
        {
            free(resolved);
        }
    }

    /// <summary>Bytes in use on the filesystem holding <paramref name="path"/>, as df counts them.</summary>
    public static long UsedBytes(string path)
    {
        if (statvfs_(path, out var s) != 0)
        {
            throw new IOException($"statvfs {path} failed (errno {Marshal.GetLastPInvokeError()}).");
        }

        return checked((long)((s.Blocks - s.Bfree) * s.Frsize));
    }

    public static bool Signal(int pid, int signal) => kill(pid, signal) == 0;

    /// <summary>
    /// Starts writing a range of a file's dirty pages to disk without waiting (<c>sync_file_range(SYNC_FILE_RANGE_WRITE)</c>),
    /// so that a closing fsync has little left to do. Best effort: false when the file system does not take it.
    /// </summary>
    public static bool StartWriteback(Microsoft.Win32.SafeHandles.SafeFileHandle file, long offset, long length) =>
        sync_file_range(file, offset, length, SyncFileRangeWrite) == 0;

    public static bool IsAlive(int pid) => kill(pid, 0) == 0;

    /// <summary>uid and gid of an OS user, or null when there is no such user.</summary>
    public static (uint Uid, uint Gid)? LookupUser(string name)
    {
        var pw = getpwnam(name);
        if (pw == IntPtr.Zero)
        {
            return null;
        }

        // struct passwd { char *pw_name; char *pw_passwd; uid_t pw_uid; gid_t pw_gid; ... } on LP64.
        var uid = (uint)Marshal.ReadInt32(pw, 2 * IntPtr.Size);
        var gid = (uint)Marshal.ReadInt32(pw, (2 * IntPtr.Size) + 4);
        return (uid, gid);
    }

    public static void ChownRecursive(string path, uint uid, uint gid)
    {
        Chown(path, uid, gid);
        if (!Directory.Exists(path) || File.GetAttributes(path).HasFlag(FileAttributes.ReparsePoint))
        {
            return;
        }

        foreach (var entry in Directory.EnumerateFileSystemEntries(path, "*", new EnumerationOptions
                 { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = true }))
        {
            Chown(entry, uid, gid);
        }
    }

    /// <summary>struct statvfs of glibc on LP64 (x86_64, aarch64): eleven unsigned longs, then int __f_spare[6].</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct StatVfs
    {
        public ulong Bsize;
        public ulong Frsize;
        public ulong Blocks;
        public ulong Bfree;
        public ulong Bavail;
        public ulong Files;
        public ulong Ffree;
        public ulong Favail;
        public ulong Fsid;
        public ulong Flag;
        public ulong Namemax;
        public ulong Spare0;
        public ulong Spare1;
        public ulong Spare2;
    }

    public static void Chown(string path, uint uid, uint gid)
    {
        if (lchown(path, uid, gid) != 0)
        {
            throw new IOException($"chown {path} failed (errno {Marshal.GetLastPInvokeError()}).");
        }
    }
}

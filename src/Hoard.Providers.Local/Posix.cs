using System.Runtime.InteropServices;

namespace Hoard.Providers.Local;

/// <summary>The few libc calls .NET has no managed API for.</summary>
internal static partial class Posix
{
    public const int SigTerm = 15;
    public const int SigKill = 9;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int sig);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int lchown(string path, uint owner, uint group);

    [LibraryImport("libc")]
    private static partial uint geteuid();

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr getpwnam(string name);

    public static bool IsRoot => geteuid() == 0;

    public static bool Signal(int pid, int signal) => kill(pid, signal) == 0;

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

    public static void Chown(string path, uint uid, uint gid)
    {
        if (lchown(path, uid, gid) != 0)
        {
            throw new IOException($"chown {path} failed (errno {Marshal.GetLastPInvokeError()}).");
        }
    }
}

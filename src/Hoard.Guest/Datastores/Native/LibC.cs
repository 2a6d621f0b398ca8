using System.Runtime.InteropServices;

namespace Hoard.Guest.Datastores.Native;

/// <summary>The few POSIX calls .NET does not expose: who we are, and giving files to the service user.</summary>
internal static partial class LibC
{
    private const string Library = "libc";

    [LibraryImport(Library, EntryPoint = "geteuid")]
    internal static partial uint GetEffectiveUserId();

    [LibraryImport(Library, EntryPoint = "chown", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Chown(string path, uint owner, uint group);

    [LibraryImport(Library, EntryPoint = "getpwnam", StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint GetPasswordEntry(string name);

    [LibraryImport(Library, EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    internal const int SigTerm = 15;

    internal static bool IsRoot => GetEffectiveUserId() == 0;

    /// <summary>Sends a signal; false if the process is gone or not ours to signal.</summary>
    internal static bool SendSignal(int pid, int signal) => Kill(pid, signal) == 0;

    /// <summary>The uid and gid of an OS user.</summary>
    internal static (uint Uid, uint Gid) LookUpUser(string name)
    {
        var entry = GetPasswordEntry(name);
        if (entry == nint.Zero)
            throw new InvalidOperationException($"OS user '{name}' does not exist.");
        // glibc's struct passwd: char* pw_name; char* pw_passwd; uid_t pw_uid; gid_t pw_gid; ...
        var uid = (uint)Marshal.ReadInt32(entry, 2 * nint.Size);
        var gid = (uint)Marshal.ReadInt32(entry, 2 * nint.Size + sizeof(uint));
        return (uid, gid);
    }

    internal static void ChangeOwner(string path, uint uid, uint gid)
    {
        if (Chown(path, uid, gid) != 0)
            throw new IOException($"chown {uid}:{gid} {path} failed: errno {Marshal.GetLastPInvokeError()}.");
    }
}

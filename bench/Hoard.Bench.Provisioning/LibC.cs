using System.Runtime.InteropServices;

namespace Hoard.Bench.Provisioning;

internal static partial class LibC
{
    public const int SigTerm = 15;
    public const int SigKill = 9;

    public static bool IsRoot => GetEffectiveUserId() == 0;

    public static void Signal(int pid, int signal) => _ = Kill(pid, signal);

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEffectiveUserId();
}

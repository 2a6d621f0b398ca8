using System.Runtime.InteropServices;

namespace Hoard.Guest;

/// <summary>
/// A guest outlives the server that started it, so it must not keep the server's terminal or pipes open:
/// its standard output and error go to its own log file from the first moment.
/// </summary>
internal static partial class StandardStreams
{
    private const int OpenWriteOnly = 0x1;
    private const int OpenCreate = 0x40;
    private const int OpenAppend = 0x400;
    private const int OpenCloseOnExec = 0x80000;

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags, int mode);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int dup2(int oldfd, int newfd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);

    public static void RedirectTo(string logFile)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(logFile)!);
        var fd = open(logFile, OpenWriteOnly | OpenCreate | OpenAppend | OpenCloseOnExec, 0b110_100_000);
        var devNull = open("/dev/null", OpenCloseOnExec, 0);
        if (fd < 0 || devNull < 0)
        {
            throw new IOException($"Cannot open {logFile} for the guest's output (errno {Marshal.GetLastPInvokeError()}).");
        }

        dup2(devNull, 0);
        dup2(fd, 1);
        dup2(fd, 2);
        close(fd);
        close(devNull);
    }
}

using System.Runtime.InteropServices;

namespace Hoard.Guest.Datastores.Redis.Native;

/// <summary>
/// The part of hiredis 0.14 (<c>libhiredis.so.0.14</c>, Debian's <c>libhiredis0.14</c>) the guest uses.
/// Commands go through <c>redisCommandArgv</c> only: every argument is a separate length-prefixed bulk
/// string, so nothing a user supplies is ever parsed as part of a command line.
/// </summary>
internal static unsafe partial class LibHiredis
{
    private const string Library = "libhiredis.so.0.14";

    [LibraryImport(Library, EntryPoint = "redisConnectWithTimeout", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial RedisContextHandle ConnectWithTimeout(string ip, int port, TimeVal timeout);

    [LibraryImport(Library, EntryPoint = "redisConnectUnixWithTimeout", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial RedisContextHandle ConnectUnixWithTimeout(string path, TimeVal timeout);

    /// <summary>Sets the socket's send and receive timeout; returns <c>REDIS_OK</c> (0) or <c>REDIS_ERR</c> (-1).</summary>
    [LibraryImport(Library, EntryPoint = "redisSetTimeout")]
    internal static partial int SetTimeout(RedisContextHandle context, TimeVal timeout);

    /// <summary>Returns a <c>redisReply*</c>, or zero on an I/O or protocol error (then the context's <c>err</c> says which).</summary>
    [LibraryImport(Library, EntryPoint = "redisCommandArgv")]
    internal static partial nint CommandArgv(RedisContextHandle context, int argc, byte** argv, nuint* argvLengths);

    [LibraryImport(Library, EntryPoint = "freeReplyObject")]
    internal static partial void FreeReplyObject(nint reply);

    [LibraryImport(Library, EntryPoint = "redisFree")]
    internal static partial void Free(nint context);

    /// <summary><c>redisContext.err</c>: the first field, an <c>int</c>.</summary>
    internal static int ContextError(RedisContextHandle context) => *(int*)context.DangerousGetHandle();

    /// <summary><c>redisContext.errstr</c>: <c>char[128]</c> right after <c>err</c>.</summary>
    internal static string ContextErrorText(RedisContextHandle context) =>
        Marshal.PtrToStringUTF8(context.DangerousGetHandle() + sizeof(int)) ?? "unknown error";
}

/// <summary><c>struct timeval</c> on LP64 Linux, passed by value.</summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly struct TimeVal(long seconds, long microseconds)
{
    public readonly long Seconds = seconds;
    public readonly long Microseconds = microseconds;

    public static TimeVal From(TimeSpan span) =>
        new((long)span.TotalSeconds, (long)(span.Ticks % TimeSpan.TicksPerSecond / TimeSpan.TicksPerMicrosecond));
}

/// <summary>
/// hiredis 0.14's <c>redisReply</c> on x86_64: <c>int type; long long integer; size_t len; char *str;
/// size_t elements; struct redisReply **element;</c> (the <c>int</c> is padded to 8 bytes).
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct RedisReplyStruct
{
    public int Type;
    public long Integer;
    public nuint Length;
    public byte* Str;
    public nuint Elements;
    public RedisReplyStruct** Element;
}

/// <summary>hiredis's <c>REDIS_REPLY_*</c> values.</summary>
internal enum RedisReplyType
{
    String = 1,
    Array = 2,
    Integer = 3,
    Nil = 4,
    Status = 5,
    Error = 6,
}

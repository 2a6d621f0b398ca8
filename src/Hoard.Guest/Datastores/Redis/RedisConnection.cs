using System.Runtime.InteropServices;
using System.Text;
using Hoard.Guest.Datastores.Redis.Native;

namespace Hoard.Guest.Datastores.Redis;

/// <summary>
/// One blocking connection through hiredis. Calls are serialised: a <c>redisContext*</c> is not thread-safe.
/// Arguments are sent as separate UTF-8 bulk strings, so spaces, quotes and newlines in them are just bytes.
/// </summary>
internal sealed unsafe class RedisConnection : IDisposable
{
    private readonly RedisContextHandle _context;
    private readonly Lock _lock = new();

    private RedisConnection(RedisContextHandle context) => _context = context;

    /// <summary>Connects over a unix socket and authenticates when a password is given.</summary>
    public static RedisConnection OpenUnix(string socketPath, string? user, string? password, TimeSpan timeout) =>
        Connect(() => LibHiredis.ConnectUnixWithTimeout(socketPath, TimeVal.From(timeout)), user, password, timeout);

    /// <summary>Connects over TCP, as a customer's client would, and authenticates when a password is given.</summary>
    public static RedisConnection OpenTcp(string host, int port, string? user, string? password, TimeSpan timeout) =>
        Connect(() => LibHiredis.ConnectWithTimeout(host, port, TimeVal.From(timeout)), user, password, timeout);

    private static RedisConnection Connect(Func<RedisContextHandle> open, string? user, string? password, TimeSpan timeout)
    {
        var context = open();
        if (context.IsInvalid)
            throw new InvalidOperationException("hiredis could not allocate a context (out of memory?).");
        var connection = new RedisConnection(context);
        try
        {
            if (LibHiredis.ContextError(context) != 0)
                throw RedisException.Connection(LibHiredis.ContextError(context), LibHiredis.ContextErrorText(context));
            // The connect timeout does not cover reads and writes; this does.
            if (LibHiredis.SetTimeout(context, TimeVal.From(timeout)) != 0)
                throw RedisException.Connection(LibHiredis.ContextError(context), LibHiredis.ContextErrorText(context));
            if (password is not null)
            {
                if (user is null)
                    connection.Execute("AUTH", password);
                else
                    connection.Execute("AUTH", user, password);
            }

            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Sends one command and returns its reply; an error reply is thrown as a <see cref="RedisException"/>.</summary>
    public RedisValue Execute(params string[] args)
    {
        ArgumentOutOfRangeException.ThrowIfZero(args.Length);
        var buffers = new byte[args.Length][];
        for (var i = 0; i < args.Length; i++)
            buffers[i] = Encoding.UTF8.GetBytes(args[i]);

        lock (_lock)
        {
            var handles = new GCHandle[buffers.Length];
            var pointers = stackalloc byte*[buffers.Length];
            var lengths = stackalloc nuint[buffers.Length];
            try
            {
                for (var i = 0; i < buffers.Length; i++)
                {
                    handles[i] = GCHandle.Alloc(buffers[i], GCHandleType.Pinned);
                    pointers[i] = (byte*)handles[i].AddrOfPinnedObject();
                    lengths[i] = (nuint)buffers[i].Length;
                }

                var reply = LibHiredis.CommandArgv(_context, buffers.Length, pointers, lengths);
                if (reply == nint.Zero)
                    throw RedisException.Connection(LibHiredis.ContextError(_context), LibHiredis.ContextErrorText(_context));
                try
                {
                    return Read((RedisReplyStruct*)reply);
                }
                finally
                {
                    LibHiredis.FreeReplyObject(reply);
                }
            }
            finally
            {
                foreach (var handle in handles)
                {
                    if (handle.IsAllocated)
                        handle.Free();
                }
            }
        }
    }

    /// <summary>True after an I/O or protocol error: hiredis cannot use the connection again.</summary>
    public bool IsBroken
    {
        get
        {
            lock (_lock)
                return LibHiredis.ContextError(_context) != 0;
        }
    }

    public void Dispose() => _context.Dispose();

    /// <summary>Copies a reply tree into managed values; an error anywhere in it is thrown.</summary>
    private static RedisValue Read(RedisReplyStruct* reply)
    {
        switch ((RedisReplyType)reply->Type)
        {
            case RedisReplyType.Nil:
                return RedisValue.Nil;
            case RedisReplyType.Integer:
                return new RedisValue(RedisValueKind.Integer, Integer: reply->Integer);
            case RedisReplyType.String:
                return new RedisValue(RedisValueKind.String, Text(reply));
            case RedisReplyType.Status:
                return new RedisValue(RedisValueKind.Status, Text(reply));
            case RedisReplyType.Error:
                throw RedisException.FromReply(Text(reply));
            case RedisReplyType.Array:
                var count = checked((int)reply->Elements);
                var items = new RedisValue[count];
                for (var i = 0; i < count; i++)
                    items[i] = Read(reply->Element[i]);
                return new RedisValue(RedisValueKind.Array, Items: items);
            default:
                throw new InvalidDataException($"hiredis returned a reply of unknown type {reply->Type}.");
        }
    }

    private static string Text(RedisReplyStruct* reply) =>
        reply->Str == null ? "" : Encoding.UTF8.GetString(reply->Str, checked((int)reply->Length));
}

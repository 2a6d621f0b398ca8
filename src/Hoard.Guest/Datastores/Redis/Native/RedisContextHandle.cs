using System.Runtime.InteropServices;

namespace Hoard.Guest.Datastores.Redis.Native;

/// <summary>A <c>redisContext*</c>; freeing it closes the socket whether or not the connection ever succeeded.</summary>
internal sealed class RedisContextHandle : SafeHandle
{
    public RedisContextHandle()
        : base(nint.Zero, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == nint.Zero;

    protected override bool ReleaseHandle()
    {
        LibHiredis.Free(handle);
        return true;
    }
}

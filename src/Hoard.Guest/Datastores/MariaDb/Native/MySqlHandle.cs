using System.Runtime.InteropServices;

namespace Hoard.Guest.Datastores.MariaDb.Native;

/// <summary>A <c>MYSQL*</c> from <c>mysql_init</c>; closing it frees it whether or not it ever connected.</summary>
internal sealed class MySqlHandle : SafeHandle
{
    public MySqlHandle()
        : base(nint.Zero, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == nint.Zero;

    protected override bool ReleaseHandle()
    {
        LibMariaDb.Close(handle);
        return true;
    }
}

using System.Runtime.InteropServices;

namespace Hoard.Guest.Datastores.MariaDb.Native;

/// <summary>A <c>MYSQL_RES*</c> from <c>mysql_store_result</c>; invalid when the statement returned no result set.</summary>
internal sealed class MySqlResultHandle : SafeHandle
{
    public MySqlResultHandle()
        : base(nint.Zero, ownsHandle: true)
    {
    }

    public override bool IsInvalid => handle == nint.Zero;

    protected override bool ReleaseHandle()
    {
        LibMariaDb.FreeResult(handle);
        return true;
    }
}

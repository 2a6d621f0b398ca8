using System.Runtime.InteropServices;

namespace Hoard.Guest.Datastores.MariaDb.Native;

/// <summary>
/// The part of MariaDB Connector/C (<c>libmariadb.so.3</c>) the guest uses. C <c>unsigned long</c> is
/// <see cref="nuint"/>: the guest runs on LP64 Linux only.
/// </summary>
internal static unsafe partial class LibMariaDb
{
    private const string Library = "libmariadb.so.3";

    [LibraryImport(Library, EntryPoint = "mysql_init")]
    internal static partial MySqlHandle Init(nint mysql);

    [LibraryImport(Library, EntryPoint = "mysql_options")]
    internal static partial int Options(MySqlHandle mysql, MySqlOption option, void* argument);

    [LibraryImport(Library, EntryPoint = "mysql_real_connect", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nint RealConnect(
        MySqlHandle mysql, string? host, string? user, string? password, string? database,
        uint port, string? unixSocket, nuint clientFlags);

    [LibraryImport(Library, EntryPoint = "mysql_real_query")]
    internal static partial int RealQuery(MySqlHandle mysql, byte* query, nuint length);

    [LibraryImport(Library, EntryPoint = "mysql_store_result")]
    internal static partial MySqlResultHandle StoreResult(MySqlHandle mysql);

    [LibraryImport(Library, EntryPoint = "mysql_field_count")]
    internal static partial uint FieldCount(MySqlHandle mysql);

    [LibraryImport(Library, EntryPoint = "mysql_num_fields")]
    internal static partial uint NumFields(MySqlResultHandle result);

    /// <summary>Returns a <c>MYSQL_FIELD*</c>, whose first member is the column's <c>char* name</c>.</summary>
    [LibraryImport(Library, EntryPoint = "mysql_fetch_field_direct")]
    internal static partial nint FetchFieldDirect(MySqlResultHandle result, uint index);

    /// <summary>Returns a <c>char**</c> row, or zero after the last row.</summary>
    [LibraryImport(Library, EntryPoint = "mysql_fetch_row")]
    internal static partial nint FetchRow(MySqlResultHandle result);

    /// <summary>Returns the <c>unsigned long*</c> lengths of the current row's columns.</summary>
    [LibraryImport(Library, EntryPoint = "mysql_fetch_lengths")]
    internal static partial nint FetchLengths(MySqlResultHandle result);

    [LibraryImport(Library, EntryPoint = "mysql_free_result")]
    internal static partial void FreeResult(nint result);

    [LibraryImport(Library, EntryPoint = "mysql_affected_rows")]
    internal static partial ulong AffectedRows(MySqlHandle mysql);

    [LibraryImport(Library, EntryPoint = "mysql_error")]
    internal static partial nint Error(MySqlHandle mysql);

    [LibraryImport(Library, EntryPoint = "mysql_errno")]
    internal static partial uint Errno(MySqlHandle mysql);

    /// <summary><paramref name="to"/> must hold <c>2 * length + 1</c> bytes. Returns <c>(unsigned long)-1</c> on error.</summary>
    [LibraryImport(Library, EntryPoint = "mysql_real_escape_string")]
    internal static partial nuint RealEscapeString(MySqlHandle mysql, byte* to, byte* from, nuint length);

    [LibraryImport(Library, EntryPoint = "mysql_close")]
    internal static partial void Close(nint mysql);
}

/// <summary>Values of Connector/C's <c>enum mysql_option</c> that the guest sets.</summary>
internal enum MySqlOption
{
    ConnectTimeout = 0,
    SetCharsetName = 7,
    LocalInfile = 8,
    Protocol = 9,
    ReadTimeout = 11,
    WriteTimeout = 12,
}

/// <summary>Values of Connector/C's <c>enum mysql_protocol_type</c>.</summary>
internal enum MySqlProtocol : uint
{
    Tcp = 1,
    Socket = 2,
}

using System.Runtime.InteropServices;
using System.Text;
using Hoard.Guest.Datastores.MariaDb.Native;

namespace Hoard.Guest.Datastores.MariaDb;

/// <summary>
/// One blocking connection through Connector/C. Calls are serialised: a <c>MYSQL*</c> is not thread-safe.
/// Multi-statements stay off, so one call runs exactly one statement.
/// </summary>
internal sealed unsafe class MariaDbConnection : IDisposable
{
    private readonly MySqlHandle _mysql;
    private readonly Lock _lock = new();

    private MariaDbConnection(MySqlHandle mysql) => _mysql = mysql;

    /// <summary>Connects over the server's unix socket.</summary>
    public static MariaDbConnection Open(string socketPath, string user, string? password, TimeSpan timeout, string? database = null) =>
        Connect(MySqlProtocol.Socket, host: "localhost", port: 0, socketPath, user, password, timeout, database);

    /// <summary>Connects over TCP, as a database user would.</summary>
    public static MariaDbConnection OpenTcp(string host, int port, string user, string? password, TimeSpan timeout, string? database = null) =>
        Connect(MySqlProtocol.Tcp, host, (uint)port, unixSocket: null, user, password, timeout, database);

    private static MariaDbConnection Connect(
        MySqlProtocol protocol, string host, uint port, string? unixSocket, string user, string? password, TimeSpan timeout, string? database)
    {
        var mysql = LibMariaDb.Init(nint.Zero);
        if (mysql.IsInvalid)
            throw new InvalidOperationException("mysql_init failed (out of memory?).");
        try
        {
            var seconds = (uint)Math.Max(1, Math.Ceiling(timeout.TotalSeconds));
            var protocolValue = (uint)protocol;
            var off = 0u;
            SetOption(mysql, MySqlOption.ConnectTimeout, &seconds);
            SetOption(mysql, MySqlOption.ReadTimeout, &seconds);
            SetOption(mysql, MySqlOption.WriteTimeout, &seconds);
            SetOption(mysql, MySqlOption.Protocol, &protocolValue);
            SetOption(mysql, MySqlOption.LocalInfile, &off);
            fixed (byte* charset = "utf8mb4\0"u8)
                SetOption(mysql, MySqlOption.SetCharsetName, charset);

            if (LibMariaDb.RealConnect(mysql, host, user, password, database, port, unixSocket, clientFlags: 0) == nint.Zero)
                throw LastError(mysql);
            return new MariaDbConnection(mysql);
        }
        catch
        {
            mysql.Dispose();
            throw;
        }
    }

    /// <summary>Runs one statement that returns no rows (any rows it does return are discarded); returns the affected row count.</summary>
    public ulong Execute(string sql)
    {
        lock (_lock)
        {
            RunQuery(sql);
            using var result = LibMariaDb.StoreResult(_mysql);
            if (result.IsInvalid && LibMariaDb.FieldCount(_mysql) != 0)
                throw LastError(_mysql);
            return result.IsInvalid ? LibMariaDb.AffectedRows(_mysql) : 0;
        }
    }

    /// <summary>Runs one statement and returns its rows; a SQL NULL is a null element.</summary>
    public List<string?[]> Query(string sql)
    {
        lock (_lock)
        {
            RunQuery(sql);
            using var result = LibMariaDb.StoreResult(_mysql);
            if (result.IsInvalid)
            {
                if (LibMariaDb.FieldCount(_mysql) != 0)
                    throw LastError(_mysql);
                return [];
            }

            var columns = (int)LibMariaDb.NumFields(result);
            var rows = new List<string?[]>();
            for (var row = LibMariaDb.FetchRow(result); row != nint.Zero; row = LibMariaDb.FetchRow(result))
            {
                var values = (byte**)row;
                var lengths = (nuint*)LibMariaDb.FetchLengths(result);
                var fields = new string?[columns];
                for (var i = 0; i < columns; i++)
                    fields[i] = values[i] == null ? null : Encoding.UTF8.GetString(values[i], checked((int)lengths[i]));
                rows.Add(fields);
            }

            return rows;
        }
    }

    /// <summary>Runs one statement and returns its rows by column name (<c>SHOW SLAVE STATUS</c> has dozens); a SQL NULL is null.</summary>
    public List<Dictionary<string, string?>> QueryNamed(string sql)
    {
        lock (_lock)
        {
            RunQuery(sql);
            using var result = LibMariaDb.StoreResult(_mysql);
            if (result.IsInvalid)
            {
                if (LibMariaDb.FieldCount(_mysql) != 0)
                    throw LastError(_mysql);
                return [];
            }

            var columns = (int)LibMariaDb.NumFields(result);
            var names = new string[columns];
            for (var i = 0; i < columns; i++)
                names[i] = Marshal.PtrToStringUTF8(*(nint*)LibMariaDb.FetchFieldDirect(result, (uint)i)) ?? "";
            var rows = new List<Dictionary<string, string?>>();
            for (var row = LibMariaDb.FetchRow(result); row != nint.Zero; row = LibMariaDb.FetchRow(result))
            {
                var values = (byte**)row;
                var lengths = (nuint*)LibMariaDb.FetchLengths(result);
                var fields = new Dictionary<string, string?>(columns, StringComparer.Ordinal);
                for (var i = 0; i < columns; i++)
                    fields[names[i]] = values[i] == null ? null : Encoding.UTF8.GetString(values[i], checked((int)lengths[i]));
                rows.Add(fields);
            }

            return rows;
        }
    }

    /// <summary>Escapes a value for use inside a single-quoted SQL string literal, in the connection's character set.</summary>
    public string EscapeString(string value)
    {
        var source = Encoding.UTF8.GetBytes(value);
        var target = new byte[2 * source.Length + 1];
        lock (_lock)
        {
            fixed (byte* from = source)
            fixed (byte* to = target)
            {
                var length = LibMariaDb.RealEscapeString(_mysql, to, from, (nuint)source.Length);
                if (length == nuint.MaxValue)
                    throw LastError(_mysql);
                return Encoding.UTF8.GetString(to, checked((int)length));
            }
        }
    }

    /// <summary>A single-quoted, escaped SQL string literal.</summary>
    public string Literal(string value) => "'" + EscapeString(value) + "'";

    public void Dispose() => _mysql.Dispose();

    private void RunQuery(string sql)
    {
        var bytes = Encoding.UTF8.GetBytes(sql);
        fixed (byte* query = bytes)
        {
            if (LibMariaDb.RealQuery(_mysql, query, (nuint)bytes.Length) != 0)
                throw LastError(_mysql);
        }
    }

    private static void SetOption(MySqlHandle mysql, MySqlOption option, void* value)
    {
        if (LibMariaDb.Options(mysql, option, value) != 0)
            throw new InvalidOperationException($"mysql_options({option}) failed.");
    }

    private static MariaDbException LastError(MySqlHandle mysql) =>
        new((int)LibMariaDb.Errno(mysql), Marshal.PtrToStringUTF8(LibMariaDb.Error(mysql)) ?? "unknown error");
}

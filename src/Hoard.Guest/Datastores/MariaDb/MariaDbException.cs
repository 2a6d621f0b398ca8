namespace Hoard.Guest.Datastores.MariaDb;

/// <summary>An error reported by MariaDB Connector/C or by the server, with its error number.</summary>
internal sealed class MariaDbException(int errorNumber, string message) : Exception($"MariaDB error {errorNumber}: {message}")
{
    public const int DatabaseExists = 1007;
    public const int DatabaseDoesNotExist = 1008;
    public const int AccessDenied = 1045;
    public const int UnknownDatabase = 1049;
    public const int NoSuchGrant = 1141;
    public const int UnknownCharacterSet = 1115;
    public const int CollationCharsetMismatch = 1253;
    public const int UnknownCollation = 1273;
    public const int CannotUser = 1396;
    public const int CannotConnectSocket = 2002;
    public const int CannotConnectTcp = 2003;
    public const int ServerGone = 2006;
    public const int ServerLost = 2013;

    public int ErrorNumber { get; } = errorNumber;

    /// <summary>The server is not there or went away (as opposed to refusing a statement).</summary>
    public bool IsConnectionFailure => ErrorNumber is CannotConnectSocket or CannotConnectTcp or ServerGone or ServerLost;
}

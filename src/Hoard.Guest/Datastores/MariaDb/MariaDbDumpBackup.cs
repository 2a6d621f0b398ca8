using System.Diagnostics;
using System.Text;
using Hoard.Contracts.Bus;
using Hoard.Contracts.Guest;
using Hoard.Guest.Backups;

namespace Hoard.Guest.Datastores.MariaDb;

/// <summary>
/// Logical backups with <c>mariadb-dump</c> (<see cref="BackupStrategies.MariaDbDump"/>): every database as SQL, in one
/// consistent snapshot (<c>--single-transaction</c>, so InnoDB tables are not locked), with routines, events and
/// triggers, and the accounts as <c>CREATE USER IF NOT EXISTS</c> and <c>GRANT</c> statements (<c>--system=users</c>)
/// rather than the rows of <c>mysql.global_priv</c>. Restored by replaying the SQL into a freshly prepared server: the
/// accounts that server already has (the guest's <c>os_admin</c>, <c>root@localhost</c>) keep their new passwords, so
/// a restore can never lock the guest out.
/// </summary>
internal sealed class MariaDbDumpBackup(MariaDbOptions options, MariaDbServer server)
{
    private static readonly string[] ServerAccounts =
    [
        .. new[] { MariaDbAdminCredentials.AdminUser, "root", "mariadb.sys" }
            .SelectMany(user => new[] { $"`{user}`@`localhost`", $"'{user}'@'localhost'" }),
    ];

    /// <summary>Streams the dump to hoard-server; the tool reads the guest's 0600 credentials file, never a password argument.</summary>
    public async Task<CreateBackupResult> CreateAsync(CreateBackupRequest request, CancellationToken cancellationToken)
    {
        var dump = new ProcessStartInfo(options.DumpPath)
        {
            ArgumentList =
            {
                $"--defaults-file={server.Paths.AdminCredentials}",
                $"--socket={server.Paths.Socket}",
                "--single-transaction",
                "--routines",
                "--events",
                "--triggers",
                "--all-databases",
                // The server's own schema (help, statistics, replication state) belongs to the server that restores;
                // the accounts come as statements instead of mysql.global_priv's rows, which would replace the
                // restoring guest's own accounts. (information_schema, performance_schema and sys are never dumped.)
                "--ignore-database=mysql",
                "--system=users",
                // CREATE USER IF NOT EXISTS (and INSERT IGNORE, harmless on the empty server a restore starts from).
                "--insert-ignore",
                "--flush-privileges",
                "--hex-blob",
                "--default-character-set=utf8mb4",
            },
        };
        var version = await ServerVersionAsync(cancellationToken);
        var toolBytes = await BackupTransfers.UploadFromToolAsync(
            request.BackupId, request.Upload, "mariadb-dump", dump, [server.Credentials.Password], cancellationToken);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal) { ["format"] = "sql" };
        if (version is not null)
            metadata["server_version"] = version;
        return new CreateBackupResult(toolBytes, metadata);
    }

    /// <summary>
    /// Replays the dump into the running, freshly secured server as <c>os_admin</c> over its socket, without the
    /// statements about the accounts the new server made for itself; the first failing statement stops the client (its
    /// default without <c>--force</c>) and fails the restore with its error.
    /// </summary>
    public Task RestoreAsync(RestoreLayer layer, CancellationToken cancellationToken)
    {
        var client = new ProcessStartInfo(options.ClientPath)
        {
            ArgumentList =
            {
                $"--defaults-file={server.Paths.AdminCredentials}",
                $"--socket={server.Paths.Socket}",
                "--batch",
                "--binary-mode",
                "--default-character-set=utf8mb4",
            },
        };
        return SqlScriptFilter.ReplayAsync(layer, $"mariadb (replaying backup {layer.BackupId})", client, WithoutServerAccounts,
            [server.Credentials.Password], cancellationToken);
    }

    /// <summary>
    /// Leaves out <c>CREATE USER</c>, <c>GRANT</c> and default-role statements for <c>os_admin@localhost</c>,
    /// <c>root@localhost</c> and <c>mariadb.sys@localhost</c>: --system=users writes <c>GRANT … IDENTIFIED BY PASSWORD</c>,
    /// which would give them the source's passwords, and <c>GRANT PROXY</c>, which <c>os_admin</c> may not grant.
    /// </summary>
    internal static LineVerdict WithoutServerAccounts(ReadOnlySpan<byte> line)
    {
        if (!line.StartsWith("CREATE USER "u8) && !line.StartsWith("GRANT "u8) && !line.StartsWith("/*M!100005 SET DEFAULT ROLE "u8)
            && !line.StartsWith("/*!80001 ALTER USER "u8))
            return LineVerdict.Keep;
        var text = Encoding.UTF8.GetString(line);
        return ServerAccounts.Any(account => text.Contains(account, StringComparison.Ordinal)) ? LineVerdict.Drop : LineVerdict.Keep;
    }

    private Task<string?> ServerVersionAsync(CancellationToken cancellationToken) =>
        Task.Run(() =>
        {
            try
            {
                using var connection = server.OpenAdmin(options.QueryTimeout);
                return connection.Query("SELECT VERSION()").FirstOrDefault()?[0];
            }
            catch (MariaDbException e)
            {
                throw new HandlerException(GuestErrorCodes.NotReady, $"MariaDB is not answering, so it cannot be backed up: {e.Message}");
            }
        }, cancellationToken);
}

using System.Diagnostics;
using Hoard.Contracts.Guest;
using Hoard.Guest.Backups;
using Npgsql;

namespace Hoard.Guest.Datastores.PostgreSql;

/// <summary>
/// Physical backups with <c>pg_basebackup</c> (<see cref="BackupStrategies.PgBaseBackup"/>): the whole cluster as one
/// tar stream, with the WAL it needs, taken over the unix socket as <c>os_admin</c> while the server keeps running;
/// restored by unpacking the tar into a new data directory, where the first start recovers from that WAL.
/// </summary>
internal sealed class PostgreSqlBackup(GuestConfig config, PostgreSqlOptions options, PostgreSqlServer server, PostgreSqlWalArchive walArchive)
{
    /// <summary>
    /// Streams a full backup to hoard-server. pg_basebackup reads the password from a passfile (mode 0600, removed
    /// after), never from its command line or environment.
    /// </summary>
    public async Task<CreateBackupResult> CreateAsync(CreateBackupRequest request, CancellationToken cancellationToken)
    {
        var credentials = server.Credentials;
        var version = await ServerVersionAsync(cancellationToken);
        // Unique, so that the backup history file PostgreSQL writes at the end can be told from an older one's.
        var label = $"hoard backup {request.BackupId}";
        SecretFile.Write(server.Paths.BackupPassFile, $"*:*:*:{PassFileField(credentials.User)}:{PassFileField(credentials.Password)}\n");
        try
        {
            var backup = new ProcessStartInfo(options.BaseBackupPath)
            {
                ArgumentList =
                {
                    "--host", server.Paths.SocketDirectory,
                    "--port", config.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    "--username", credentials.User,
                    "--no-password",
                    "--pgdata=-",
                    "--format=tar",
                    // Streaming WAL needs a second connection and a directory; fetching adds it to the one tar.
                    "--wal-method=fetch",
                    "--checkpoint=fast",
                    $"--label={label}",
                },
            };
            backup.Environment["PGPASSFILE"] = server.Paths.BackupPassFile;
            backup.Environment["PGAPPNAME"] = "hoard-backup";
            backup.Environment.Remove("PGPASSWORD");
            var toolBytes = await BackupTransfers.UploadFromToolAsync(
                request.BackupId, request.Upload, "pg_basebackup", backup, [credentials.Password], cancellationToken);
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["server_version"] = version,
                ["format"] = "tar",
                ["wal_method"] = "fetch",
            };
            foreach (var (key, value) in walArchive.BackupMetadata(label, TimeProvider.System.GetUtcNow()))
                metadata[key] = value;
            return new CreateBackupResult(toolBytes, metadata);
        }
        finally
        {
            File.Delete(server.Paths.BackupPassFile);
        }
    }

    /// <summary>Unpacks the backup's tar into the new, empty <paramref name="dataDirectory"/>, every file owned by the service user.</summary>
    public Task RestoreAsync(RestoreSource source, string dataDirectory, CancellationToken cancellationToken) =>
        BackupTransfers.DownloadAsync(source.Layers[0],
            (tar, token) => TarExtraction.ExtractAsync(tar, dataDirectory, server.GiveToServiceUser, token), cancellationToken);

    private async Task<string> ServerVersionAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await server.OpenAdminAsync("postgres", options.QueryTimeout, cancellationToken);
            await using var command = new NpgsqlCommand("SHOW server_version", connection);
            return (string)(await command.ExecuteScalarAsync(cancellationToken))!;
        }
        catch (NpgsqlException e)
        {
            throw new Hoard.Contracts.Bus.HandlerException(GuestErrorCodes.NotReady, $"PostgreSQL is not answering, so it cannot be backed up: {e.Message}");
        }
    }

    /// <summary>A .pgpass field: ':' and '\' escaped.</summary>
    private static string PassFileField(string value) => value.Replace(@"\", @"\\").Replace(":", @"\:");
}

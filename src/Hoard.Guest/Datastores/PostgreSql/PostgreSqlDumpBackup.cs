using System.Diagnostics;
using System.Globalization;
using System.Text;
using Hoard.Contracts.Bus;
using Hoard.Contracts.Guest;
using Hoard.Guest.Backups;
using Npgsql;

namespace Hoard.Guest.Datastores.PostgreSql;

/// <summary>
/// Logical backups with <c>pg_dumpall</c> (<see cref="BackupStrategies.PgDump"/>): the roles (with their password
/// hashes), the databases and their contents as one plain SQL script, taken over the unix socket as <c>os_admin</c>.
/// Restored by replaying the script with <c>psql</c> into a freshly prepared cluster; the statements about the
/// restoring guest's own roles (<c>os_admin</c>, <c>postgres</c>) are left out, so they keep their new passwords and a
/// restore can never lock the guest out.
/// </summary>
internal sealed class PostgreSqlDumpBackup(GuestConfig config, PostgreSqlOptions options, PostgreSqlServer server)
{
    private static readonly string[] GuestRoles = [PostgreSqlAdminCredentials.AdminUser, "postgres"];

    /// <summary>Streams the script to hoard-server; the password is read from a 0600 passfile, removed after.</summary>
    public async Task<CreateBackupResult> CreateAsync(CreateBackupRequest request, CancellationToken cancellationToken)
    {
        var credentials = server.Credentials;
        var version = await ServerVersionAsync(cancellationToken);
        WritePassFile(credentials);
        try
        {
            var dump = Connected(new ProcessStartInfo(Path.Combine(options.BinDirectory, "pg_dumpall")) { ArgumentList = { "--quote-all-identifiers" } });
            var toolBytes = await BackupTransfers.UploadFromToolAsync(
                request.BackupId, request.Upload, "pg_dumpall", dump, [credentials.Password], cancellationToken);
            return new CreateBackupResult(toolBytes, new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["format"] = "sql",
                ["server_version"] = version,
            });
        }
        finally
        {
            File.Delete(server.Paths.BackupPassFile);
        }
    }

    /// <summary>
    /// Replays the script into the running, freshly secured cluster; the first failing statement stops psql
    /// (<c>ON_ERROR_STOP</c>) and fails the restore with its error.
    /// </summary>
    public async Task RestoreAsync(RestoreLayer layer, CancellationToken cancellationToken)
    {
        var credentials = server.Credentials;
        WritePassFile(credentials);
        try
        {
            var psql = Connected(new ProcessStartInfo(Path.Combine(options.BinDirectory, "psql"))
            {
                ArgumentList = { "--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1", "--dbname=postgres" },
            });
            await SqlScriptFilter.ReplayAsync(layer, $"psql (replaying backup {layer.BackupId})", psql, WithoutGuestRoles, [credentials.Password], cancellationToken);
        }
        finally
        {
            File.Delete(server.Paths.BackupPassFile);
        }
    }

    /// <summary>
    /// Leaves out the lines of the script's roles section (everything before the first <c>\connect</c>) that create or
    /// alter the guest's own roles; they keep what the prepare gave them.
    /// </summary>
    internal static LineVerdict WithoutGuestRoles(ReadOnlySpan<byte> line)
    {
        if (line.StartsWith(@"\connect"u8))
            return LineVerdict.KeepRest;
        if (!line.StartsWith("CREATE ROLE "u8) && !line.StartsWith("ALTER ROLE "u8))
            return LineVerdict.Keep;
        var text = Encoding.UTF8.GetString(line);
        return GuestRoles.Any(role =>
            text.StartsWith($"CREATE ROLE \"{role}\";", StringComparison.Ordinal) || text.StartsWith($"CREATE ROLE {role};", StringComparison.Ordinal) ||
            text.StartsWith($"ALTER ROLE \"{role}\" ", StringComparison.Ordinal) || text.StartsWith($"ALTER ROLE {role} ", StringComparison.Ordinal))
            ? LineVerdict.Drop
            : LineVerdict.Keep;
    }

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
            throw new HandlerException(GuestErrorCodes.NotReady, $"PostgreSQL is not answering, so it cannot be backed up: {e.Message}");
        }
    }

    /// <summary>Over the socket as the guest's superuser, password from the passfile only.</summary>
    private ProcessStartInfo Connected(ProcessStartInfo startInfo)
    {
        foreach (var argument in new[]
                 {
                     $"--host={server.Paths.SocketDirectory}", $"--port={config.Port.ToString(CultureInfo.InvariantCulture)}",
                     $"--username={server.Credentials.User}", "--no-password",
                 })
            startInfo.ArgumentList.Add(argument);
        startInfo.Environment["PGPASSFILE"] = server.Paths.BackupPassFile;
        startInfo.Environment["PGAPPNAME"] = "hoard-backup";
        startInfo.Environment.Remove("PGPASSWORD");
        return startInfo;
    }

    private void WritePassFile(PostgreSqlAdminCredentials credentials) =>
        SecretFile.Write(server.Paths.BackupPassFile, $"*:*:*:{PassFileField(credentials.User)}:{PassFileField(credentials.Password)}\n");

    private static string PassFileField(string value) => value.Replace(@"\", @"\\").Replace(":", @"\:");
}

using System.Text.RegularExpressions;
using Hoard.Contracts.Guest;
using Hoard.Guest.Backups;

namespace Hoard.Guest.Datastores.PostgreSql;

/// <summary>
/// PostgreSQL's side of WAL archiving: the spool its <c>archive_command</c> copies finished WAL files into (see
/// <see cref="PostgreSqlConfigTemplate.ArchiveCommand"/>; the guest uploads them), and where a backup's WAL starts, which
/// a point-in-time restore of the backup replays from.
/// </summary>
internal sealed partial class PostgreSqlWalArchive(GuestConfig config, PostgreSqlServer server)
{
    public string Spool => WalSpool.Directory(config.Paths);

    /// <summary>Turns archiving on: from now on every finished WAL file is spooled (and uploaded by the guest).</summary>
    public void EnsureSpool()
    {
        if (Directory.Exists(Spool))
            return;
        Directory.CreateDirectory(Spool, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        server.GiveToServiceUser(Spool);
    }

    /// <summary>
    /// What a point-in-time restore needs to know of backup <paramref name="label"/>: the first WAL file it replays (from
    /// the backup history file PostgreSQL writes into pg_wal when a backup ends) and <paramref name="endedBy"/>, a time
    /// at or after its end. Empty when the history file is not found (then the backup restores, but not to a point in time).
    /// </summary>
    public IReadOnlyDictionary<string, string> BackupMetadata(string label, DateTimeOffset endedBy)
    {
        var walDirectory = Path.Combine(server.Paths.DataDirectory, "pg_wal");
        foreach (var file in Directory.EnumerateFiles(walDirectory, "*.backup"))
        {
            string text;
            try
            {
                text = File.ReadAllText(file);
            }
            catch (IOException)
            {
                continue; // Cleaned up meanwhile: an older backup's.
            }

            if (!text.Contains($"LABEL: {label}\n", StringComparison.Ordinal) || StartFile().Match(text) is not { Success: true } start)
                continue;
            return new Dictionary<string, string>(StringComparer.Ordinal)
            {
                [WalArchiving.StartFileKey] = start.Groups[1].Value,
                [WalArchiving.ConsistentAtKey] = endedBy.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
            };
        }

        return new Dictionary<string, string>();
    }

    [GeneratedRegex(@"^START WAL LOCATION: \S+ \(file ([0-9A-F]{24})\)$", RegexOptions.Multiline)]
    private static partial Regex StartFile();
}

using System.Diagnostics;
using System.Globalization;

namespace Hoard.Guest.Datastores.MariaDb;

/// <summary>
/// Brings InnoDB's checkpoint up to the current LSN before a backup. A backup's <c>to_lsn</c> is the checkpoint when it
/// ended, and the next incremental copies every page changed after it; InnoDB 10.11 with its default settings leaves
/// dirty pages unflushed (and the checkpoint behind) for as long as its redo log has room, so without this an
/// incremental of a lightly written server held most pages changed since it started. Measured on 190 MB of rows with
/// 10 000 of them changed: 25 MB stored instead of 1.9 MB.
/// </summary>
internal static class MariaDbCheckpoint
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Has the page cleaner flush every dirty page (<c>innodb_max_dirty_pages_pct = 0</c>, put back afterwards) until
    /// none is left or the checkpoint has reached the LSN of the call, or <paramref name="wait"/> has passed. It brings
    /// forward writes the server would make anyway; a server written faster than it can flush just reaches the deadline.
    /// (With nothing dirty InnoDB writes no new checkpoint, so a clean buffer pool is as good as a checkpoint.)
    /// </summary>
    /// <returns>Null once the checkpoint is there; otherwise why not (the backup is still whole, its child larger).</returns>
    public static async Task<string?> AdvanceAsync(MariaDbConnection connection, TimeSpan wait, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var setting = connection.Query("SELECT @@GLOBAL.innodb_max_dirty_pages_pct")[0][0];
        if (!decimal.TryParse(setting, NumberStyles.Float, CultureInfo.InvariantCulture, out var maxDirtyPct))
            return $"innodb_max_dirty_pages_pct reads '{setting}'";
        var target = Status(connection, "Innodb_lsn_current");
        connection.Execute("SET GLOBAL innodb_max_dirty_pages_pct = 0");
        try
        {
            while (Status(connection, "Innodb_buffer_pool_pages_dirty") > 0 && Status(connection, "Innodb_lsn_last_checkpoint") < target)
            {
                if (watch.Elapsed > wait)
                    return $"the checkpoint did not reach LSN {target} within {wait.TotalSeconds:0} s";
                await Task.Delay(PollInterval, cancellationToken);
            }

            return null;
        }
        finally
        {
            connection.Execute($"SET GLOBAL innodb_max_dirty_pages_pct = {maxDirtyPct.ToString(CultureInfo.InvariantCulture)}");
        }
    }

    private static ulong Status(MariaDbConnection connection, string name)
    {
        var rows = connection.Query($"SHOW GLOBAL STATUS LIKE '{name}'");
        return rows.Count == 1 && ulong.TryParse(rows[0][1], NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new InvalidOperationException($"MariaDB reports no status {name}.");
    }
}

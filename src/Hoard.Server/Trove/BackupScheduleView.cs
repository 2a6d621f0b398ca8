using System.Text.Json.Nodes;
using Hoard.Core.Backups;

namespace Hoard.Server.Trove;

/// <summary>
/// Hoard's view of a backup schedule (Trove has none): the settings as given, when the next run is due (UTC, null while
/// disabled) and what became of the last run.
/// </summary>
internal static class BackupScheduleView
{
    public static JsonObject Of(BackupSchedule s, BackupScheduleRun? last) => new()
    {
        ["instance_id"] = s.InstanceId,
        ["cron"] = s.Cron,
        ["interval_minutes"] = s.IntervalMinutes,
        ["window_minutes"] = s.WindowMinutes,
        ["retention"] = new JsonObject { ["count"] = s.RetentionCount, ["days"] = s.RetentionDays },
        ["incremental"] = s.Incremental,
        ["enabled"] = s.Enabled,
        ["next_run"] = s.Enabled ? Views.Time(s.NextRun) : null,
        ["last_run"] = last is null
            ? null
            : new JsonObject
            {
                ["due"] = Views.Time(last.Due),
                ["status"] = last.Status,
                ["backup_id"] = last.BackupId,
                ["reason"] = last.Reason,
                ["updated"] = Views.Time(last.Updated),
            },
        ["created"] = Views.Time(s.Created),
        ["updated"] = Views.Time(s.Updated),
    };
}

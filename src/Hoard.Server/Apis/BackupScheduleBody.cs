using System.Text.Json;
using System.Text.Json.Nodes;
using Hoard.Core.Backups;
using Hoard.Server.Trove;

namespace Hoard.Server.Apis;

/// <summary>
/// Reads <c>{"backup_schedule":{…}}</c> strictly: unknown keys, wrong types and out-of-range values are 400s naming the
/// property, before anything is changed.
/// </summary>
internal static class BackupScheduleBody
{
    public const int MinIntervalMinutes = 5;
    private const int MaxIntervalMinutes = 366 * 24 * 60;
    private const int MaxWindowMinutes = 7 * 24 * 60;
    private const int MaxRetentionCount = 1000;
    private const int MaxRetentionDays = 3660;
    private const string Path = "backup_schedule";

    /// <summary>The schedule the body describes, for <paramref name="instanceId"/>; its times are the caller's to set.</summary>
    public static BackupSchedule Parse(JsonObject body, string instanceId, string projectId)
    {
        var spec = Body.Wrapper(body, Path);
        Body.OnlyKeys(spec, Path, "cron", "interval_minutes", "window_minutes", "retention", "incremental", "enabled");
        var cron = Body.String(spec, "cron", Path);
        var interval = Integer(spec, "interval_minutes", Path, MinIntervalMinutes, MaxIntervalMinutes);
        if ((cron is null) == (interval is null))
        {
            throw TroveFault.Validation($"{Path} needs exactly one of 'cron' and 'interval_minutes'.");
        }

        CronExpression? parsed = null;
        if (cron is not null && !CronExpression.TryParse(cron, out parsed, out var error))
        {
            throw TroveFault.Validation($"{Path}.cron: {error}");
        }

        var retention = Body.Object(spec, "retention", Path) ?? throw TroveFault.Validation($"{Path}.retention is a required property.");
        Body.OnlyKeys(retention, Path + ".retention", "count", "days");
        var count = Integer(retention, "count", Path + ".retention", 1, MaxRetentionCount);
        var days = Integer(retention, "days", Path + ".retention", 1, MaxRetentionDays);
        if (count is null && days is null)
        {
            throw TroveFault.Validation($"{Path}.retention needs 'count', 'days' or both.");
        }

        return new BackupSchedule
        {
            InstanceId = instanceId, ProjectId = projectId, Cron = parsed?.Text, IntervalMinutes = interval,
            WindowMinutes = Integer(spec, "window_minutes", Path, 1, MaxWindowMinutes), RetentionCount = count, RetentionDays = days,
            Incremental = Body.Boolean(spec, "incremental", Path) ?? false, Enabled = Body.Boolean(spec, "enabled", Path) ?? true,
        };
    }

    /// <summary>A JSON integer from <paramref name="min"/> to <paramref name="max"/>, or null when absent.</summary>
    private static int? Integer(JsonObject parent, string key, string path, int min, int max)
    {
        var node = parent[key];
        if (node is null)
        {
            return null;
        }

        if (node.GetValueKind() != JsonValueKind.Number || !node.AsValue().TryGetValue<long>(out var value))
        {
            throw TroveFault.Validation($"{path}.{key} must be an integer.");
        }

        return value >= min && value <= max
            ? (int)value
            : throw TroveFault.Validation($"{path}.{key} must be from {min} to {max}; it was {value}.");
    }
}

using System.CommandLine;
using System.Text.Json.Nodes;
using Hoard.Cli.Commands.Instances;

namespace Hoard.Cli.Commands.BackupSchedules;

/// <summary><c>hoard backup-schedule set</c>: a cron expression or an interval, a window, and what to keep; replaces any schedule.</summary>
internal static class SetCommand
{
    public static Command Create(CliServices services)
    {
        var instance = InstanceOperations.Argument(services);
        var cron = new Option<string>("--cron") { Description = "Five cron fields, UTC, e.g. '0 3 * * *'." };
        var interval = new Option<int?>("--interval-minutes") { Description = "Every this many minutes (instead of --cron)." };
        var window = new Option<int?>("--window-minutes") { Description = "How late a run may still start." };
        var keepCount = new Option<int?>("--keep-count") { Description = "Keep the newest this many scheduled backups." };
        var keepDays = new Option<int?>("--keep-days") { Description = "Keep scheduled backups this many days." };
        var incremental = new Option<bool>("--incremental") { Description = "Incremental backups between fulls (MariaDB)." };
        var disabled = new Option<bool>("--disabled") { Description = "Pause the runs (retention still applies)." };
        return new Command("set", "Set an instance's backup schedule (replacing any).").With(instance, cron, interval, window, keepCount, keepDays, incremental, disabled)
            .Runs(services, async context =>
            {
                if ((context.Get(cron) is null) == (context.Get(interval) is null))
                {
                    throw CliException.Usage("Give exactly one of --cron and --interval-minutes.");
                }

                if (context.Get(keepCount) is null && context.Get(keepDays) is null)
                {
                    throw CliException.Usage("Give --keep-count, --keep-days or both.");
                }

                var retention = new JsonObject();
                AddIfGiven(retention, "count", context.Get(keepCount));
                AddIfGiven(retention, "days", context.Get(keepDays));
                var schedule = new JsonObject { ["retention"] = retention, ["incremental"] = context.Get(incremental), ["enabled"] = !context.Get(disabled) };
                if (context.Get(cron) is { } expression)
                {
                    schedule["cron"] = expression;
                }

                AddIfGiven(schedule, "interval_minutes", context.Get(interval));
                AddIfGiven(schedule, "window_minutes", context.Get(window));
                var id = await InstanceOperations.IdAsync(context, context.Get(instance));
                var body = await (await context.ClientAsync()).PutAsync($"instances/{id}/backup_schedule",
                    new JsonObject { ["backup_schedule"] = schedule }, context.Cancellation);
                context.Output.Show(body?["backup_schedule"] as JsonObject ?? []);
            });
    }

    private static void AddIfGiven(JsonObject target, string key, int? value)
    {
        if (value is { } given)
        {
            target[key] = given;
        }
    }
}

using System.CommandLine;
using System.Text.Json.Nodes;

namespace Hoard.Cli.Commands.Instances;

/// <summary><c>hoard instance create</c>: a new instance, a restore of a backup or of a point in time, or replicas of a source.</summary>
internal static class CreateCommand
{
    public static Command Create(CliServices services)
    {
        var name = new Argument<string>("name") { Description = "The new instance's name." };
        var flavor = new Option<string>("--flavor") { Description = "Flavor name or id (not for replicas: they take their source's)." };
        var size = new Option<int?>("--size") { Description = "Volume size in GB (not for replicas)." };
        var datastore = new Option<string>("--datastore") { Description = "mariadb, postgresql or redis." };
        var version = new Option<string>("--datastore-version") { Description = "The datastore's version, e.g. 10.11, 15, 7.0." };
        var databases = new Option<string[]>("--database") { Description = "A database to create (repeatable).", AllowMultipleArgumentsPerToken = true };
        var users = new Option<string[]>("--user") { Description = "A user to create, name:password (repeatable); gets every --database.", AllowMultipleArgumentsPerToken = true };
        var configuration = new Option<string>("--configuration") { Description = "Configuration group name or id to attach." };
        var zone = new Option<string>("--availability-zone") { Description = "Availability zone." };
        var cidrs = new Option<string[]>("--allowed-cidr") { Description = "Only these networks may connect (repeatable).", AllowMultipleArgumentsPerToken = true };
        var backup = new Option<string>("--backup") { Description = "Restore this backup (name or id) into the new instance." };
        var restoreFrom = new Option<string>("--restore-from") { Description = "Point-in-time restore: the source instance (with --restore-time)." };
        var restoreTime = new Option<DateTimeOffset?>("--restore-time") { Description = "Point-in-time restore: when, UTC, e.g. 2026-11-30T23:10:05Z." };
        var replicaOf = new Option<string>("--replica-of") { Description = "Make a replica of this instance (name or id)." };
        var replicaCount = new Option<int?>("--replica-count") { Description = "With --replica-of: how many replicas (1-3)." };
        var command = new Command("create", "Create an instance.")
            .With(name, flavor, size, datastore, version, databases, users, configuration, zone, cidrs, backup, restoreFrom, restoreTime, replicaOf, replicaCount);
        var wait = new WaitOptions(command);
        return command.Runs(services, async context =>
        {
            var client = await context.ClientAsync();
            var spec = new JsonObject { ["name"] = context.Get(name) };
            if (context.Get(replicaOf) is { } source)
            {
                spec["replica_of"] = await ResourceResolver.ReferenceIdAsync(client, ResourceKind.Instance, source, context.Cancellation);
                spec["replica_count"] = context.Get(replicaCount);
            }
            else
            {
                var flavorRef = context.Get(flavor) ?? throw CliException.Usage("--flavor is required (except with --replica-of).");
                spec["flavorRef"] = await ResourceResolver.ReferenceIdAsync(client, ResourceKind.Flavor, flavorRef, context.Cancellation);
                spec["volume"] = new JsonObject { ["size"] = context.Get(size) ?? throw CliException.Usage("--size is required (except with --replica-of).") };
            }

            if (context.Get(datastore) is { } type)
            {
                spec["datastore"] = new JsonObject { ["type"] = type, ["version"] = context.Get(version) };
            }

            var databaseNames = context.Get(databases) ?? [];
            if (databaseNames.Length > 0)
            {
                spec["databases"] = Names(databaseNames);
            }

            if (context.Get(users) is { Length: > 0 } userSpecs)
            {
                spec["users"] = new JsonArray([.. userSpecs.Select(u => (JsonNode)User(u, databaseNames))]);
            }

            if (context.Get(configuration) is { } group)
            {
                spec["configuration"] = await ResourceResolver.ReferenceIdAsync(client, ResourceKind.Configuration, group, context.Cancellation);
            }

            spec["availability_zone"] = context.Get(zone);
            if (context.Get(cidrs) is { Length: > 0 } allowed)
            {
                spec["access"] = new JsonObject { ["allowed_cidrs"] = new JsonArray([.. allowed.Select(c => (JsonNode)c)]) };
            }

            spec["restorePoint"] = await RestorePointAsync(context, backup, restoreFrom, restoreTime);
            var created = (await client.PostAsync("instances", new JsonObject { ["instance"] = RemoveNulls(spec) }, context.Cancellation))!["instance"]!.AsObject();
            context.Output.Show(await InstanceOperations.WaitForActiveAsync(context, wait, created["id"]!.ToString(), context.Get(name)) ?? created);
        });
    }

    private static async Task<JsonObject?> RestorePointAsync(CommandContext context, Option<string> backup, Option<string> restoreFrom,
        Option<DateTimeOffset?> restoreTime)
    {
        var client = await context.ClientAsync();
        var backupId = context.Get(backup) is { } b ? await ResourceResolver.ReferenceIdAsync(client, ResourceKind.Backup, b, context.Cancellation) : null;
        if (context.Get(restoreFrom) is not { } source)
        {
            return context.Get(restoreTime) is null
                ? backupId is null ? null : new JsonObject { ["backupRef"] = backupId }
                : throw CliException.Usage("--restore-time needs --restore-from (the instance to restore).");
        }

        var when = context.Get(restoreTime) ?? throw CliException.Usage("--restore-from needs --restore-time.");
        return RemoveNulls(new JsonObject
        {
            ["instance"] = await ResourceResolver.ReferenceIdAsync(client, ResourceKind.Instance, source, context.Cancellation),
            ["restore_time"] = when.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture),
            ["backupRef"] = backupId,
        });
    }

    /// <summary><c>name:password</c>, as the OpenStack client's <c>--users</c> takes it.</summary>
    private static JsonObject User(string spec, string[] databases)
    {
        var separator = spec.IndexOf(':', StringComparison.Ordinal);
        if (separator <= 0 || separator == spec.Length - 1)
        {
            throw CliException.Usage($"--user takes name:password; '{spec.Split(':')[0]}' has no password.");
        }

        return new JsonObject { ["name"] = spec[..separator], ["password"] = spec[(separator + 1)..], ["databases"] = Names(databases) };
    }

    private static JsonArray Names(IEnumerable<string> names) => new([.. names.Select(n => (JsonNode)new JsonObject { ["name"] = n })]);

    private static JsonObject RemoveNulls(JsonObject spec)
    {
        foreach (var key in spec.Where(kv => kv.Value is null).Select(kv => kv.Key).ToList())
        {
            spec.Remove(key);
        }

        return spec;
    }
}

using System.Diagnostics;
using Hoard.Contracts.Bus;
using Hoard.Contracts.Guest;
using Npgsql;

namespace Hoard.Guest.Datastores.PostgreSql;

/// <summary>
/// Applies a configuration change to a running PostgreSQL the way it takes one: a new <c>postgresql.conf</c> and a
/// reload. The server checks the file first (<c>pg_file_settings</c> parses it at query time); on any error the
/// previous file is put back, so a reload takes all of the change or none of it.
/// </summary>
internal static class PostgreSqlConfiguration
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);

    /// <param name="finalConf">The new configuration file, already checked with <see cref="PostgreSqlServer.CheckConfigAsync"/>.</param>
    /// <param name="reloadConf">The file to reload now: <paramref name="finalConf"/> with the restart-required changes held back.</param>
    public static async Task<UpdateOverridesResult> ApplyAsync(
        PostgreSqlServer server, PostgreSqlAdmin admin, ConfigurationChange change, string finalConf, string reloadConf, TimeSpan reloadTimeout)
    {
        // A reload leaves postmaster settings as they are (and logs that they wait for a restart).
        var atStart = (await admin.QueryAsync("SELECT name FROM pg_settings WHERE context = 'postmaster' AND name = ANY($1)", (object)change.Live.ToArray()))
            .Select(row => row[0]!)
            .ToHashSet(StringComparer.Ordinal);
        var applied = change.Live.Where(key => !atStart.Contains(key)).ToList();

        var original = await File.ReadAllTextAsync(server.Paths.ConfigFile, admin.CancellationToken);
        var reloaded = false;
        try
        {
            server.WriteConfig(reloadConf);
            // A changed postmaster setting is listed as "could not be applied" too; its value was checked by postgres -C.
            var errors = await admin.QueryAsync(
                "SELECT f.name, f.error FROM pg_file_settings f LEFT JOIN pg_settings s ON s.name = f.name " +
                "WHERE f.error IS NOT NULL AND s.context IS DISTINCT FROM 'postmaster' ORDER BY f.seqno");
            if (errors.Count > 0)
            {
                throw new HandlerException(GuestErrorCodes.BadRequest,
                    "PostgreSQL refused the configuration: " + string.Join("; ", errors.Select(row => $"'{row[0]}': {row[1]}")) + ".");
            }

            if (applied.Count > 0)
            {
                await ReloadAsync(server, admin, reloadTimeout);
                reloaded = true;
            }

            if (reloadConf != finalConf)
                server.WriteConfig(finalConf);
        }
        catch
        {
            server.WriteConfig(original);
            if (reloaded)
                await TryReloadAsync(admin);
            throw;
        }

        return new UpdateOverridesResult(applied, [.. change.Live.Where(atStart.Contains)]);
    }

    /// <summary>Asks for a reload and waits until a new session has the configuration it loaded.</summary>
    internal static async Task ReloadAsync(PostgreSqlServer server, PostgreSqlAdmin admin, TimeSpan timeout)
    {
        var loadedBefore = (await admin.QueryAsync("SELECT pg_conf_load_time()::text"))[0][0]!;
        await admin.ExecuteAsync("SELECT pg_reload_conf()");
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            await using (var session = await server.OpenAdminAsync("postgres", timeout, admin.CancellationToken))
            await using (var command = new NpgsqlCommand("SELECT pg_conf_load_time() > $1::timestamptz", session))
            {
                command.Parameters.Add(new NpgsqlParameter { Value = loadedBefore });
                if (await command.ExecuteScalarAsync(admin.CancellationToken) is true)
                    return;
            }

            if (Stopwatch.GetElapsedTime(started) > timeout)
                throw new HandlerException(GuestErrorCodes.NotReady, $"PostgreSQL did not reload its configuration within {timeout.TotalSeconds:0} s.");
            await Task.Delay(PollInterval, admin.CancellationToken);
        }
    }

    private static async Task TryReloadAsync(PostgreSqlAdmin admin)
    {
        try
        {
            await admin.ExecuteAsync("SELECT pg_reload_conf()");
        }
        catch (NpgsqlException)
        {
            // The server is gone; it reads the restored file when it starts.
        }
    }
}

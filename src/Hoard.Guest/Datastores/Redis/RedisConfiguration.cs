using Hoard.Contracts.Bus;
using Hoard.Contracts.Guest;

namespace Hoard.Guest.Datastores.Redis;

/// <summary>
/// Applies a configuration change to a running Redis with <c>CONFIG SET</c> as the guest's <c>os_admin</c> (whose
/// ACL allows every command), all or none: the previous values are read first (<c>CONFIG GET</c>) and set back if
/// the server refuses one of the new ones. <c>CONFIG REWRITE</c> is never used: the guest renders the whole file.
/// </summary>
internal static class RedisConfiguration
{
    /// <param name="after">The settings of the new file; a changed key's value is its last one here.</param>
    /// <param name="replaceFile">Writes the new configuration file; runs once every live setting has been taken.</param>
    public static UpdateOverridesResult Apply(
        RedisConnection connection, ConfigurationChange change, IReadOnlyList<KeyValuePair<string, string>> after, Action replaceFile)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in after)
            values[key] = value;

        // Redis refuses to start on a directive it does not know, so even a setting that waits for a restart is asked about.
        var previous = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var key in change.Live.Concat(change.RestartRequired).Where(key => !change.Removed.Contains(key)))
        {
            var reply = connection.Execute("CONFIG", "GET", key).AsArray();
            var index = Enumerable.Range(0, reply.Count / 2).FirstOrDefault(i => reply[2 * i].AsString() == key, -1);
            if (index < 0)
                throw new HandlerException(GuestErrorCodes.BadRequest, $"Redis has no configuration setting '{key}'.");
            previous[key] = reply[2 * index + 1].AsString();
        }

        // A setting dropped from the file returns to Redis's own default only at the next start: CONFIG SET needs a value.
        var pending = change.Live.Where(change.Removed.Contains).ToList();
        var applied = new List<string>();
        try
        {
            foreach (var key in change.Live.Where(key => !change.Removed.Contains(key)))
            {
                try
                {
                    connection.Execute("CONFIG", "SET", key, values[key]);
                    applied.Add(key);
                }
                catch (RedisException e) when (!e.IsConnectionFailure && e.Message.Contains("immutable config", StringComparison.Ordinal))
                {
                    pending.Add(key);
                }
                catch (RedisException e) when (!e.IsConnectionFailure)
                {
                    throw new HandlerException(GuestErrorCodes.BadRequest, $"Redis refused the value of '{key}': {e.Message}");
                }
            }

            replaceFile();
        }
        catch (Exception e) when (applied.Count > 0)
        {
            var notUndone = new List<string>();
            foreach (var key in Enumerable.Reverse(applied))
            {
                try
                {
                    connection.Execute("CONFIG", "SET", key, previous[key]);
                }
                catch (RedisException)
                {
                    notUndone.Add(key);
                }
            }

            if (notUndone.Count == 0)
                throw;
            throw new HandlerException(GuestErrorCodes.Internal,
                $"{e.Message} Setting back the previous values failed for {string.Join(", ", notUndone)}; a restart returns to the configuration file.");
        }

        return new UpdateOverridesResult(applied, pending);
    }
}

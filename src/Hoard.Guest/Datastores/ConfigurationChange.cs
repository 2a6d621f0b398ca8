namespace Hoard.Guest.Datastores;

/// <summary>
/// One update of an instance's overrides, worked out from the settings its configuration file held before and
/// will hold after (flavor defaults with overrides applied, so a removed override shows as a return to the default).
/// </summary>
/// <param name="Live">Changed settings the server should take now, in the order of the new file, then the removed ones.</param>
/// <param name="RestartRequired">Changed settings the datastore version says wait for a restart; never applied live.</param>
/// <param name="Removed">Changed settings the new file no longer has: the server's own default applies.</param>
internal sealed record ConfigurationChange(
    ConfigurationState Before,
    ConfigurationState After,
    IReadOnlyList<string> Live,
    IReadOnlyList<string> RestartRequired,
    IReadOnlySet<string> Removed)
{
    /// <summary>Settings added, removed, or with another value; a key's last occurrence counts, as in the file.</summary>
    public static ConfigurationChange Between(
        ConfigurationState before, IReadOnlyList<KeyValuePair<string, string?>> beforeSettings,
        ConfigurationState after, IReadOnlyList<KeyValuePair<string, string?>> afterSettings,
        IReadOnlyCollection<string> restartRequired)
    {
        var old = ToDictionary(beforeSettings);
        var next = ToDictionary(afterSettings);
        var removed = beforeSettings.Select(s => s.Key).Distinct().Where(key => !next.ContainsKey(key)).ToList();
        var changed = afterSettings.Select(s => s.Key).Distinct()
            .Where(key => !old.TryGetValue(key, out var value) || value != next[key])
            .Concat(removed)
            .ToList();
        var restart = new HashSet<string>(restartRequired, StringComparer.Ordinal);
        return new ConfigurationChange(
            before,
            after,
            changed.Where(key => !restart.Contains(key)).ToList(),
            changed.Where(restart.Contains).ToList(),
            removed.ToHashSet(StringComparer.Ordinal));
    }

    /// <summary>
    /// The <paramref name="after"/> settings with <paramref name="held"/> keys as they were <paramref name="before"/>:
    /// for a server that takes a whole file at once, the file to take now when those keys must wait for a restart.
    /// </summary>
    public static List<KeyValuePair<string, T>> Holding<T>(
        IReadOnlyList<KeyValuePair<string, T>> before, IReadOnlyList<KeyValuePair<string, T>> after, IReadOnlyCollection<string> held)
    {
        var old = new Dictionary<string, T>(StringComparer.Ordinal);
        foreach (var (key, value) in before)
            old[key] = value;
        var settings = after.Where(s => !held.Contains(s.Key) || old.ContainsKey(s.Key))
            .Select(s => held.Contains(s.Key) ? new KeyValuePair<string, T>(s.Key, old[s.Key]) : s)
            .ToList();
        var present = settings.Select(s => s.Key).ToHashSet(StringComparer.Ordinal);
        settings.AddRange(before.Where(s => held.Contains(s.Key) && !present.Contains(s.Key)));
        return settings;
    }

    private static Dictionary<string, string?> ToDictionary(IReadOnlyList<KeyValuePair<string, string?>> settings)
    {
        var values = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var (key, value) in settings)
            values[key] = value;
        return values;
    }
}

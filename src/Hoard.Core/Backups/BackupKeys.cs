using System.Text.RegularExpressions;

namespace Hoard.Core.Backups;

/// <summary>Storage keys: one object per backup, grouped by project.</summary>
public static partial class BackupKeys
{
    public static string For(string projectId, string backupId) => Check($"{projectId}/{backupId}");

    /// <summary>Keys become file names and URLs: only letters, digits, '-' and '_' between the slashes.</summary>
    public static string Check(string key) =>
        Safe().IsMatch(key) ? key : throw new ArgumentException($"'{key}' is not a valid backup storage key.", nameof(key));

    /// <summary>
    /// A container a user may name (Trove's <c>swift_container</c>): 1–200 letters, digits, '.', '_' or '-', starting with
    /// a letter or digit. Stricter than Swift itself, so a name never needs escaping and never contains a path.
    /// </summary>
    public static bool IsContainerName(string name) => ContainerName().IsMatch(name);

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")]
    private static partial Regex ContainerName();

    [GeneratedRegex("^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*$")]
    private static partial Regex Safe();
}

using System.Text.RegularExpressions;

namespace Hoard.Core.Backups;

/// <summary>Storage keys: one object per backup, grouped by project.</summary>
public static partial class BackupKeys
{
    public static string For(string projectId, string backupId) => Check($"{projectId}/{backupId}");

    /// <summary>Keys become file names and URLs: only letters, digits, '-' and '_' between the slashes.</summary>
    public static string Check(string key) =>
        Safe().IsMatch(key) ? key : throw new ArgumentException($"'{key}' is not a valid backup storage key.", nameof(key));

    [GeneratedRegex("^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*$")]
    private static partial Regex Safe();
}

using System.Text;

namespace Hoard.IntegrationTests.Infrastructure;

/// <summary>What /proc says about running processes.</summary>
internal static class ProcessTable
{
    /// <summary>Processes (other than this one) whose command line contains <paramref name="text"/>.</summary>
    public static IReadOnlyList<(int Pid, string CommandLine)> Mentioning(string text)
    {
        var found = new List<(int, string)>();
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(entry), out var pid) && pid != Environment.ProcessId &&
                CommandLine(pid) is { } cmd && cmd.Contains(text, StringComparison.Ordinal))
            {
                found.Add((pid, cmd));
            }
        }

        return found;
    }

    public static string Describe(IEnumerable<(int Pid, string CommandLine)> processes) =>
        string.Join("; ", processes.Select(p => $"{p.Pid}: {p.CommandLine}"));

    private static string? CommandLine(int pid)
    {
        try
        {
            var raw = File.ReadAllBytes($"/proc/{pid}/cmdline");
            return Encoding.UTF8.GetString(raw).Replace('\0', ' ').TrimEnd();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}

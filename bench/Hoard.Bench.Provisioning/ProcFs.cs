using System.Globalization;

namespace Hoard.Bench.Provisioning;

/// <summary>What /proc says about a process: its command line, VmRSS and Pss (kB).</summary>
internal static class ProcFs
{
    public static string? CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim();
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Processes (not this one) whose command line contains every one of <paramref name="parts"/>.</summary>
    public static List<int> Find(params string[] parts)
    {
        var found = new List<int>();
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) &&
                pid != Environment.ProcessId && CommandLine(pid) is { } cmd &&
                parts.All(part => cmd.Contains(part, StringComparison.Ordinal)))
            {
                found.Add(pid);
            }
        }

        return found;
    }

    public static bool IsAlive(int pid) => Directory.Exists($"/proc/{pid}");

    /// <summary>Resident set and proportional set size in kB, or null when the process is gone.</summary>
    public static MemoryUse? Memory(int pid)
    {
        try
        {
            var rss = Field(File.ReadLines($"/proc/{pid}/status"), "VmRSS:");
            var pss = Field(File.ReadLines($"/proc/{pid}/smaps_rollup"), "Pss:");
            return rss is null || pss is null ? null : new MemoryUse(rss.Value, pss.Value);
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>
    /// The process and its direct children together (PostgreSQL: the postmaster and its background processes). The PSS
    /// sum is what the group costs; the RSS sum counts shared pages (shared_buffers, the binary) once per process.
    /// </summary>
    public static MemoryUse? MemoryWithChildren(int pid)
    {
        if (Memory(pid) is not { } own)
            return null;
        var children = Children(pid).Select(Memory).OfType<MemoryUse>().ToList();
        return new MemoryUse(own.RssKb + children.Sum(m => m.RssKb), own.PssKb + children.Sum(m => m.PssKb));
    }

    /// <summary>Direct children, from <c>/proc/PID/task/*/children</c>.</summary>
    public static List<int> Children(int pid)
    {
        var children = new List<int>();
        try
        {
            foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                foreach (var field in File.ReadAllText(Path.Combine(task, "children")).Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    if (int.TryParse(field, NumberStyles.None, CultureInfo.InvariantCulture, out var child))
                        children.Add(child);
                }
            }
        }
        catch (IOException)
        {
        }

        return children;
    }

    private static long? Field(IEnumerable<string> lines, string name)
    {
        foreach (var line in lines)
        {
            if (line.StartsWith(name, StringComparison.Ordinal))
            {
                var value = line[name.Length..].Trim().Split(' ')[0];
                return long.Parse(value, CultureInfo.InvariantCulture);
            }
        }

        return null;
    }
}

using System.Globalization;

namespace Hoard.Guest;

/// <summary>
/// Resident memory and CPU time of a process and its direct children (PostgreSQL's backends, Redis' save child), read from
/// <c>/proc</c>. CPU time includes children that have ended and been waited for, so it only grows while the process lives.
/// </summary>
internal static class ProcessTreeUsage
{
    // USER_HZ: what /proc counts CPU time in; 100 on every Linux architecture .NET runs on.
    private const double TicksPerSecond = 100;

    /// <summary>Null when the process is gone.</summary>
    public static (long MemoryBytes, double CpuSeconds)? Read(int pid, string procRoot = "/proc")
    {
        if (ReadStat(Path.Combine(procRoot, Name(pid), "stat")) is not { } root)
        {
            return null;
        }

        var (rssPages, ticks) = (root.RssPages, root.Ticks + root.ChildTicks);
        foreach (var candidate in ChildCandidates(pid, procRoot))
        {
            if (ReadStat(Path.Combine(procRoot, Name(candidate), "stat")) is { } child && child.ParentPid == pid)
            {
                rssPages += child.RssPages;
                ticks += child.Ticks;
            }
        }

        return (rssPages * Environment.SystemPageSize, ticks / TicksPerSecond);
    }

    /// <summary>Parses a <c>/proc/&lt;pid&gt;/stat</c> line (see proc(5)); null for anything else.</summary>
    public static (int ParentPid, long Ticks, long ChildTicks, long RssPages)? ParseStat(string line)
    {
        // The command name (field 2) may hold spaces and parentheses: fields are counted from after its last ')'.
        var end = line.LastIndexOf(')');
        var fields = end < 0 ? [] : line[(end + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 22)
        {
            return null;
        }

        long Field(int number) => long.Parse(fields[number - 3], CultureInfo.InvariantCulture);
        return ((int)Field(4), Field(14) + Field(15), Field(16) + Field(17), Field(24));
    }

    /// <summary>
    /// The children the kernel lists per thread (<c>task/&lt;tid&gt;/children</c>), a few reads on every heartbeat; on a kernel
    /// without those files, every process (their parent is checked by the caller).
    /// </summary>
    private static IEnumerable<int> ChildCandidates(int pid, string procRoot)
    {
        var tasks = Path.Combine(procRoot, Name(pid), "task");
        return File.Exists(Path.Combine(tasks, Name(pid), "children"))
            ? SafeDirectories(tasks).SelectMany(task => Pids(Path.Combine(task, "children")))
            : SafeDirectories(procRoot).Select(Path.GetFileName).Select(ParsePid).OfType<int>().Where(p => p != pid);
    }

    private static IEnumerable<int> Pids(string childrenFile)
    {
        try
        {
            return File.ReadAllText(childrenFile).Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(ParsePid).OfType<int>().ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return []; // the thread ended between listing and reading
        }
    }

    private static IEnumerable<string> SafeDirectories(string path) =>
        Directory.Exists(path) ? Directory.EnumerateDirectories(path) : [];

    private static int? ParsePid(string? text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : null;

    private static string Name(int pid) => pid.ToString(CultureInfo.InvariantCulture);

    private static (int ParentPid, long Ticks, long ChildTicks, long RssPages)? ReadStat(string path)
    {
        try
        {
            return ParseStat(File.ReadAllText(path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or OverflowException)
        {
            return null; // gone between listing and reading
        }
    }
}

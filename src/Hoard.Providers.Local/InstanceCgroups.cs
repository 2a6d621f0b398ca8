using System.Globalization;
using System.Text;
using Hoard.Core.Compute;

namespace Hoard.Providers.Local;

/// <summary>
/// One cgroup per instance, <c>hoard/&lt;instance-id&gt;</c>, holding the flavor's memory limit and CPU quota: cgroup v2
/// where its memory and cpu controllers are available, else the cgroup v1 memory and cpu hierarchies. The groups sit
/// at the top of the hierarchies, not under the server's own group, because guests outlive the server by design
/// (a service manager stopping the server's group must not take the databases with it).
/// </summary>
public sealed class InstanceCgroups
{
    public const string V1 = "cgroup-v1";
    public const string V2 = "cgroup-v2";
    public const string ParentName = "hoard";
    private const long CpuPeriodUs = 100_000;
    private const long Unlimited = 1L << 62;

    // Creating a group and removing the parent once it is empty must not interleave within one process.
    private static readonly Lock ParentLock = new();

    private readonly string[] _roots;

    private InstanceCgroups(string mode, string? reason, params string[] roots)
    {
        Mode = mode;
        UnavailableReason = reason;
        _roots = roots;
    }

    /// <summary><see cref="V2"/>, <see cref="V1"/> or <see cref="ResourceLimits.None"/>.</summary>
    public string Mode { get; }

    /// <summary>Why limits cannot be enforced here; null when they can.</summary>
    public string? UnavailableReason { get; }

    public bool Enforces => UnavailableReason is null;

    /// <summary>The hierarchies' parents (<c>…/memory/hoard</c>, <c>…/cpu/hoard</c>, or the v2 <c>…/hoard</c>).</summary>
    public IEnumerable<string> Parents => _roots.Select(r => Path.Combine(r, ParentName));

    /// <summary>
    /// Finds what this host offers and proves it by creating, limiting and removing a probe group, since a
    /// container may show cgroup files it cannot write.
    /// </summary>
    public static InstanceCgroups Detect()
    {
        if (!Posix.IsRoot)
        {
            return new InstanceCgroups(ResourceLimits.None, "hoard-server does not run as root, so it cannot create cgroups");
        }

        var mounts = CgroupMounts();
        var reasons = new List<string>();
        if (mounts.FirstOrDefault(m => m.FsType == "cgroup2").MountPoint is { } unified)
        {
            var offered = ReadOrEmpty(Path.Combine(unified, "cgroup.controllers")).Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var chosen = offered.Contains("memory") && offered.Contains("cpu")
                ? Probe(new InstanceCgroups(V2, null, unified), reasons)
                : null;
            if (chosen is not null)
            {
                return chosen;
            }

            if (!offered.Contains("memory") || !offered.Contains("cpu"))
            {
                reasons.Add($"cgroup v2 at {unified} offers controllers '{string.Join(' ', offered)}', not memory and cpu");
            }
        }
        else
        {
            reasons.Add("cgroup v2 is not mounted");
        }

        var memory = mounts.FirstOrDefault(m => m.FsType == "cgroup" && m.Controllers.Contains("memory")).MountPoint;
        var cpu = mounts.FirstOrDefault(m => m.FsType == "cgroup" && m.Controllers.Contains("cpu")).MountPoint;
        if (memory is not null && cpu is not null)
        {
            if (Probe(new InstanceCgroups(V1, null, memory, cpu), reasons) is { } v1)
            {
                return v1;
            }
        }
        else
        {
            reasons.Add($"the cgroup v1 {(memory is null ? "memory" : "cpu")} controller is not mounted");
        }

        return new InstanceCgroups(ResourceLimits.None, string.Join("; ", reasons));
    }

    private static InstanceCgroups? Probe(InstanceCgroups candidate, List<string> reasons)
    {
        var probe = $"probe-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}";
        try
        {
            candidate.Apply(probe, 64, 1);
            candidate.Describe(probe);
            return candidate;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            reasons.Add($"{candidate.Mode} at {string.Join(", ", candidate._roots)} does not work: {e.Message}");
            return null;
        }
        finally
        {
            try
            {
                candidate.RemoveNow(probe);
            }
            catch (IOException)
            {
                // Reported above when the probe failed; an empty group left behind holds nothing.
            }
        }
    }

    /// <summary>The instance's group in each hierarchy.</summary>
    public IReadOnlyList<string> Directories(string instanceId)
    {
        if (instanceId.Length == 0 || instanceId.Contains('/') || instanceId.StartsWith('.'))
        {
            throw new ArgumentException($"'{instanceId}' cannot name a cgroup.", nameof(instanceId));
        }

        return Parents.Select(p => Path.Combine(p, instanceId)).ToList();
    }

    /// <summary>Creates the instance's group if needed and sets its limits. Idempotent.</summary>
    public void Apply(string instanceId, int ramMb, int vcpus)
    {
        var dirs = Directories(instanceId);
        lock (ParentLock)
        {
            // Another Hoard process may remove an empty parent between its creation and ours: try again.
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    Create(dirs);
                    break;
                }
                catch (DirectoryNotFoundException) when (attempt < 3)
                {
                }
            }
        }

        // Zero or less means no limit (-1 in v1, "max" in v2), never a limit of nothing.
        var memory = ramMb > 0 ? ramMb * (1L << 20) : -1;
        var quota = vcpus > 0 ? (vcpus * CpuPeriodUs).ToString(CultureInfo.InvariantCulture) : null;
        if (Mode == V2)
        {
            var dir = dirs[0];
            Write(dir, "memory.max", memory < 0 ? "max" : memory.ToString(CultureInfo.InvariantCulture));
            if (File.Exists(Path.Combine(dir, "memory.swap.max")))
            {
                Write(dir, "memory.swap.max", 0);
            }

            Write(dir, "cpu.max", $"{quota ?? "max"} {CpuPeriodUs}");
            return;
        }

        var (memoryDir, cpuDir) = (dirs[0], dirs[1]);
        // memsw (memory + swap) may never be below the memory limit: open it, set memory, then close it to the same value.
        var memsw = File.Exists(Path.Combine(memoryDir, "memory.memsw.limit_in_bytes"));
        if (memsw)
        {
            Write(memoryDir, "memory.memsw.limit_in_bytes", -1);
        }

        Write(memoryDir, "memory.limit_in_bytes", memory);
        if (memsw)
        {
            Write(memoryDir, "memory.memsw.limit_in_bytes", memory);
        }

        Write(cpuDir, "cpu.cfs_period_us", CpuPeriodUs);
        Write(cpuDir, "cpu.cfs_quota_us", quota ?? "-1");
    }

    private void Create(IReadOnlyList<string> dirs)
    {
        if (Mode == V2)
        {
            // Controllers reach a group only when every ancestor hands them down.
            var root = _roots[0];
            EnableControllers(root);
            Directory.CreateDirectory(Path.Combine(root, ParentName));
            EnableControllers(Path.Combine(root, ParentName));
        }

        foreach (var dir in dirs)
        {
            Directory.CreateDirectory(dir);
        }
    }

    private static void EnableControllers(string dir)
    {
        var enabled = ReadOrEmpty(Path.Combine(dir, "cgroup.subtree_control")).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (!enabled.Contains("memory") || !enabled.Contains("cpu"))
        {
            Write(dir, "cgroup.subtree_control", "+memory +cpu");
        }
    }

    /// <summary>
    /// Moves <paramref name="pid"/> into the instance's group, then anything it started before it moved, until a pass
    /// finds nothing left outside: what it starts afterwards is born inside. So nothing escapes, however early it forks.
    /// </summary>
    public void Join(string instanceId, int pid)
    {
        var dirs = Directories(instanceId);
        var moved = new HashSet<int>();
        var pending = new List<int> { pid };
        while (pending.Count > 0)
        {
            foreach (var next in pending)
            {
                foreach (var dir in dirs)
                {
                    try
                    {
                        Write(dir, "cgroup.procs", next);
                    }
                    catch (IOException) when (!Posix.IsAlive(next))
                    {
                        // It exited meanwhile: nothing to contain.
                    }
                }

                moved.Add(next);
            }

            pending = Descendants(pid).Where(p => !moved.Contains(p) && !Contains(instanceId, p)).ToList();
        }
    }

    /// <summary>True when <paramref name="pid"/> is in the instance's group in every hierarchy, as /proc/pid/cgroup says.</summary>
    public bool Contains(string instanceId, int pid)
    {
        var suffix = $"/{ParentName}/{instanceId}";
        var lines = ReadOrEmpty($"/proc/{pid}/cgroup").Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(':', 3)).Where(f => f.Length == 3).ToList();
        bool In(string controller) =>
            lines.Any(f => f[1].Split(',').Contains(controller) && f[2].EndsWith(suffix, StringComparison.Ordinal));
        return Mode switch
        {
            V2 => lines.Any(f => f[0] == "0" && f[2].EndsWith(suffix, StringComparison.Ordinal)),
            V1 => In("memory") && In("cpu"),
            _ => false,
        };
    }

    /// <summary>Processes in the instance's group (any hierarchy).</summary>
    public IReadOnlyList<int> Processes(string instanceId)
    {
        var pids = new HashSet<int>();
        foreach (var dir in Directories(instanceId))
        {
            foreach (var line in ReadOrEmpty(Path.Combine(dir, "cgroup.procs")).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                if (int.TryParse(line, CultureInfo.InvariantCulture, out var p))
                {
                    pids.Add(p);
                }
            }
        }

        return pids.ToList();
    }

    /// <summary>The limits read back from the instance's group.</summary>
    public ResourceLimits Describe(string instanceId)
    {
        if (UnavailableReason is { } reason)
        {
            return ResourceLimits.NotEnforced(reason);
        }

        var dirs = Directories(instanceId);
        if (!dirs.All(Directory.Exists))
        {
            return ResourceLimits.NotEnforced($"the instance has no cgroup ({dirs[0]}): its processes are not running under its flavor's limits");
        }

        long? memoryBytes;
        double? cpu;
        // v2: memory.events; v1: memory.oom_control (its oom_kill line since Linux 4.13).
        var oomKills = OomKills(Mode == V2 ? ReadOrEmpty(Path.Combine(dirs[0], "memory.events")) : ReadOrEmpty(Path.Combine(dirs[0], "memory.oom_control")));
        if (Mode == V2)
        {
            var max = Read(dirs[0], "memory.max");
            memoryBytes = max == "max" ? null : long.Parse(max, CultureInfo.InvariantCulture);
            var cpuMax = Read(dirs[0], "cpu.max").Split(' ');
            cpu = cpuMax[0] == "max" ? null : double.Parse(cpuMax[0], CultureInfo.InvariantCulture) / double.Parse(cpuMax[1], CultureInfo.InvariantCulture);
        }
        else
        {
            memoryBytes = long.Parse(Read(dirs[0], "memory.limit_in_bytes"), CultureInfo.InvariantCulture);
            var quota = long.Parse(Read(dirs[1], "cpu.cfs_quota_us"), CultureInfo.InvariantCulture);
            cpu = quota < 0 ? null : (double)quota / long.Parse(Read(dirs[1], "cpu.cfs_period_us"), CultureInfo.InvariantCulture);
        }

        return new ResourceLimits(memoryBytes is { } b && b < Unlimited ? b >> 20 : null, cpu is { } c ? Math.Round(c, 3) : null, Mode, null, oomKills);
    }

    /// <summary>The <c>oom_kill N</c> line of a cgroup's memory.events (v2) or memory.oom_control (v1), or null.</summary>
    public static long? OomKills(string counters) =>
        counters.Split('\n').Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .FirstOrDefault(f => f is ["oom_kill", _]) is [_, var value] && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? n
            : null;

    /// <summary>
    /// Removes the instance's group once its processes are gone (a killed process leaves its group a moment after
    /// it dies), and the parent when nothing else is in it. Idempotent.
    /// </summary>
    public async Task RemoveAsync(string instanceId, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                RemoveNow(instanceId);
                return;
            }
            catch (IOException) when (attempt < 250)
            {
                await Task.Delay(20, cancellationToken);
            }
        }
    }

    private void RemoveNow(string instanceId)
    {
        lock (ParentLock)
        {
            foreach (var dir in Directories(instanceId).Where(Directory.Exists))
            {
                try
                {
                    Directory.Delete(dir);
                }
                catch (DirectoryNotFoundException)
                {
                }
                catch (IOException e)
                {
                    var left = ReadOrEmpty(Path.Combine(dir, "cgroup.procs")).Replace('\n', ' ').Trim();
                    throw new IOException($"cgroup {dir} cannot be removed ({e.Message}); processes still in it: {(left.Length > 0 ? left : "none")}", e);
                }
            }

            foreach (var parent in Parents.Where(Directory.Exists))
            {
                try
                {
                    Directory.Delete(parent);
                }
                catch (IOException)
                {
                    // Other instances' groups are still in it.
                }
            }
        }
    }

    private static IEnumerable<int> Descendants(int root)
    {
        var children = new Dictionary<int, List<int>>();
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(entry), CultureInfo.InvariantCulture, out var pid) && ParentOf(pid) is { } parent)
            {
                (children.TryGetValue(parent, out var list) ? list : children[parent] = []).Add(pid);
            }
        }

        var found = new List<int>();
        var queue = new Queue<int>([root]);
        while (queue.TryDequeue(out var next))
        {
            foreach (var child in children.GetValueOrDefault(next) ?? [])
            {
                found.Add(child);
                queue.Enqueue(child);
            }
        }

        return found;
    }

    private static int? ParentOf(int pid)
    {
        // /proc/<pid>/stat: pid (comm) state ppid …; comm may hold spaces and parentheses, so parse after the last ')'.
        var stat = ReadOrEmpty($"/proc/{pid}/stat");
        var end = stat.LastIndexOf(')');
        var fields = end < 0 ? [] : stat[(end + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields.Length > 1 && int.TryParse(fields[1], CultureInfo.InvariantCulture, out var ppid) ? ppid : null;
    }

    private static List<(string FsType, string MountPoint, string[] Controllers)> CgroupMounts()
    {
        var mounts = new List<(string, string, string[])>();
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
        {
            // id parent major:minor root mount-point options [optional fields] - fstype source super-options
            var fields = line.Split(' ');
            var separator = Array.IndexOf(fields, "-", 6);
            if (separator > 0 && separator + 3 < fields.Length && fields[separator + 1] is "cgroup" or "cgroup2")
            {
                mounts.Add((fields[separator + 1], fields[4].Replace("\\040", " ", StringComparison.Ordinal), fields[separator + 3].Split(',')));
            }
        }

        return mounts;
    }

    private static string Read(string dir, string file) => File.ReadAllText(Path.Combine(dir, file)).Trim();

    private static string ReadOrEmpty(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }

    private static void Write(string dir, string file, long value) => Write(dir, file, value.ToString(CultureInfo.InvariantCulture));

    /// <summary>One write(2) of the whole value, as the kernel expects of a cgroup file; errors name the file.</summary>
    private static void Write(string dir, string file, string value)
    {
        var path = Path.Combine(dir, file);
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0);
            stream.Write(Encoding.ASCII.GetBytes(value));
        }
        catch (IOException e)
        {
            throw new IOException($"writing '{value}' to {path} failed: {e.Message}", e);
        }
    }
}

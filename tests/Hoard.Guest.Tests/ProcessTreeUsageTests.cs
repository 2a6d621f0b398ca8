namespace Hoard.Guest.Tests;

public sealed class ProcessTreeUsageTests : IDisposable
{
    private readonly string _proc = Directory.CreateTempSubdirectory("hoard-proc-").FullName;

    public void Dispose() => Directory.Delete(_proc, recursive: true);

    [Fact]
    public void ParseStat_CountsFieldsAfterTheCommandName_EvenWithSpacesAndParenthesesInIt()
    {
        var stat = ProcessTreeUsage.ParseStat(Stat(42, "post (master) x", parent: 7, utime: 10, stime: 5, cutime: 3, cstime: 2, rss: 900));

        Assert.Equal((7, 15L, 5L, 900L), stat);
    }

    [Fact]
    public void Read_AddsDirectChildren_AndTheParentsWaitedForChildren()
    {
        Write(100, Stat(100, "postgres", parent: 1, utime: 100, stime: 50, cutime: 20, cstime: 10, rss: 1000));
        Write(101, Stat(101, "postgres", parent: 100, utime: 30, stime: 20, cutime: 0, cstime: 0, rss: 200));
        Write(102, Stat(102, "bash", parent: 1, utime: 999, stime: 999, cutime: 0, cstime: 0, rss: 999));
        Directory.CreateDirectory(Path.Combine(_proc, "self"));

        var usage = ProcessTreeUsage.Read(100, _proc);

        Assert.Equal((1200L * Environment.SystemPageSize, 2.3), (usage!.Value.MemoryBytes, Math.Round(usage.Value.CpuSeconds, 6)));
    }

    [Fact]
    public void Read_FollowsTheKernelsChildrenLists_WhenItHasThem()
    {
        Write(200, Stat(200, "mariadbd", parent: 1, utime: 10, stime: 0, cutime: 0, cstime: 0, rss: 100));
        Write(201, Stat(201, "child", parent: 200, utime: 10, stime: 0, cutime: 0, cstime: 0, rss: 10));
        Write(202, Stat(202, "not listed", parent: 200, utime: 500, stime: 0, cutime: 0, cstime: 0, rss: 500));
        WriteChildren(200, 200, "");
        WriteChildren(200, 205, "201 ");

        var usage = ProcessTreeUsage.Read(200, _proc);

        Assert.Equal((110L * Environment.SystemPageSize, 0.2), (usage!.Value.MemoryBytes, Math.Round(usage.Value.CpuSeconds, 6)));
    }

    [Fact]
    public async Task Read_OfARealShell_AddsTheChildItStarted()
    {
        using var shell = System.Diagnostics.Process.Start("sh", ["-c", "sleep 30 & wait"]);
        try
        {
            var path = $"/proc/{shell.Id}/stat";
            await Poll.UntilAsync(() => ProcessTreeUsage.Read(shell.Id)!.Value.MemoryBytes >
                                        ProcessTreeUsage.ParseStat(File.ReadAllText(path))!.Value.RssPages * Environment.SystemPageSize,
                "The shell's usage never included its sleeping child", 10);
        }
        finally
        {
            shell.Kill(entireProcessTree: true);
        }
    }

    [Fact]
    public void Read_OfAProcessThatIsGone_IsNull() => Assert.Null(ProcessTreeUsage.Read(12345, _proc));

    [Fact]
    public void Read_OfThisProcess_FindsItsMemory() => Assert.True(ProcessTreeUsage.Read(Environment.ProcessId)!.Value.MemoryBytes > 1 << 20);

    private void Write(int pid, string stat)
    {
        Directory.CreateDirectory(Path.Combine(_proc, pid.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        File.WriteAllText(Path.Combine(_proc, pid.ToString(System.Globalization.CultureInfo.InvariantCulture), "stat"), stat);
    }

    private void WriteChildren(int pid, int thread, string children)
    {
        var task = Path.Combine(_proc, pid.ToString(System.Globalization.CultureInfo.InvariantCulture), "task",
            thread.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Directory.CreateDirectory(task);
        File.WriteAllText(Path.Combine(task, "children"), children);
    }

    /// <summary>A proc(5) stat line: pid (comm) state ppid … utime(14) stime(15) cutime(16) cstime(17) … rss(24) ….</summary>
    private static string Stat(int pid, string command, int parent, long utime, long stime, long cutime, long cstime, long rss) =>
        $"{pid} ({command}) S {parent} 1 1 0 -1 4194560 100 0 0 0 {utime} {stime} {cutime} {cstime} 20 0 1 0 123 456789 {rss} 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n";
}

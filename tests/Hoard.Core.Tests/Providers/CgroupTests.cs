using System.Diagnostics;
using Hoard.Core.Compute;
using Hoard.Providers.Local;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hoard.Core.Tests.Providers;

/// <summary>Instances' cgroups against the host's real cgroup filesystem (needs root).</summary>
public sealed class CgroupTests : IAsyncLifetime
{
    private readonly List<string> _ids = [];
    private readonly List<Process> _processes = [];
    private InstanceCgroups _cgroups = null!;

    public Task InitializeAsync()
    {
        if (Environment.GetEnvironmentVariable("HOARD_TEST_NO_CGROUPS") == "1")
        {
            return Task.CompletedTask;
        }

        _cgroups = InstanceCgroups.Detect();
        Assert.True(_cgroups.Enforces,
            $"cgroups cannot enforce flavor limits here: {_cgroups.UnavailableReason}. Set HOARD_TEST_NO_CGROUPS=1 to skip these tests.");
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (var process in _processes)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            process.Dispose();
        }

        if (_cgroups is not null)
        {
            foreach (var id in _ids)
            {
                await _cgroups.RemoveAsync(id, default);
                Assert.All(_cgroups.Directories(id), d => Assert.False(Directory.Exists(d), $"{d} is left behind"));
            }
        }
    }

    [CgroupFact]
    public void Apply_WritesTheFlavorsLimits_AndAppliesNewOnesInPlace()
    {
        var id = NewId();
        _cgroups.Apply(id, 512, 2);

        Assert.Equal(new ResourceLimits(512, 2.0, _cgroups.Mode, null, 0), _cgroups.Describe(id));
        var dirs = _cgroups.Directories(id);
        if (_cgroups.Mode == InstanceCgroups.V1)
        {
            Assert.Equal("536870912", Read(dirs[0], "memory.limit_in_bytes"));
            if (File.Exists(Path.Combine(dirs[0], "memory.memsw.limit_in_bytes")))
            {
                Assert.Equal("536870912", Read(dirs[0], "memory.memsw.limit_in_bytes"));
            }

            Assert.Equal("100000", Read(dirs[1], "cpu.cfs_period_us"));
            Assert.Equal("200000", Read(dirs[1], "cpu.cfs_quota_us"));
        }
        else
        {
            Assert.Equal("536870912", Read(dirs[0], "memory.max"));
            Assert.Equal("200000 100000", Read(dirs[0], "cpu.max"));
        }

        _cgroups.Apply(id, 1024, 1);
        Assert.Equal(new ResourceLimits(1024, 1.0, _cgroups.Mode, null, 0), _cgroups.Describe(id));
        _cgroups.Apply(id, 256, 1);
        Assert.Equal(new ResourceLimits(256, 1.0, _cgroups.Mode, null, 0), _cgroups.Describe(id));
    }

    [CgroupFact]
    public async Task Join_MovesTheProcess_AndWhatItStartedBeforeJoining()
    {
        var id = NewId();
        _cgroups.Apply(id, 256, 1);
        // timeout(1) forks its command at once: a child that exists before its parent joins.
        var parent = Start("/usr/bin/timeout", "60", "/usr/bin/sleep", "60");
        var child = 0;
        await Poll.UntilAsync(() => (child = ChildOf(parent.Id)) != 0, "timeout did not start sleep");
        Assert.False(_cgroups.Contains(id, child));

        _cgroups.Join(id, parent.Id);

        Assert.True(_cgroups.Contains(id, parent.Id), File.ReadAllText($"/proc/{parent.Id}/cgroup"));
        Assert.True(_cgroups.Contains(id, child), File.ReadAllText($"/proc/{child}/cgroup"));
        Assert.Equal(new[] { parent.Id, child }.Order(), _cgroups.Processes(id).Order());
    }

    [CgroupFact]
    public async Task AProcessExceedingTheMemoryLimit_IsKilled_NotTheHost()
    {
        var id = NewId();
        _cgroups.Apply(id, 64, 1);
        // It allocates only once told to, so it is inside the group before it grows.
        var hog = Start("/usr/bin/python3", "-c", "import sys; sys.stdin.read(); b = bytearray(300 << 20); b[::4096] = b'x' * len(b[::4096])");
        _cgroups.Join(id, hog.Id);
        hog.StandardInput.Close();

        await hog.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(137, hog.ExitCode);
        if (_cgroups.Mode == InstanceCgroups.V1)
        {
            Assert.Contains("oom_kill 1", Read(_cgroups.Directories(id)[0], "memory.oom_control"));
        }
        else
        {
            Assert.Contains("oom_kill 1", Read(_cgroups.Directories(id)[0], "memory.events"));
        }
    }

    [CgroupFact]
    public async Task Remove_WaitsForTheProcessesToGo_RemovesTheGroup_AndIsIdempotent()
    {
        var id = NewId();
        _cgroups.Apply(id, 128, 1);
        var sleeper = Start("/usr/bin/sleep", "60");
        _cgroups.Join(id, sleeper.Id);
        sleeper.Kill();

        await _cgroups.RemoveAsync(id, default);
        await _cgroups.RemoveAsync(id, default);

        Assert.All(_cgroups.Directories(id), d => Assert.False(Directory.Exists(d), $"{d} is left behind"));
        var none = _cgroups.Describe(id);
        Assert.Equal(ResourceLimits.None, none.EnforcedBy);
        Assert.Contains("no cgroup", none.Reason);
    }

    [CgroupFact]
    public async Task LocalComputeProvider_AppliesDescribesAndReleasesTheInstancesGroup()
    {
        var options = new LocalOptions { DataDir = "/tmp/hoard-cg-" + Guid.NewGuid().ToString("N")[..8], BusSocket = "/nonexistent" };
        var compute = new LocalComputeProvider(options, new OsAccount(options), NullLogger<LocalComputeProvider>.Instance);
        var id = NewId();
        try
        {
            Assert.Equal(ResourceLimits.None, (await compute.DescribeResourceLimitsAsync(id, default)).EnforcedBy);

            await compute.ApplyResourceLimitsAsync(id, 512, 1, default);
            Assert.Equal(new ResourceLimits(512, 1.0, _cgroups.Mode, null, 0), await compute.DescribeResourceLimitsAsync(id, default));

            await compute.ReleaseAsync(id, default);
            await compute.ReleaseAsync(id, default);
            Assert.All(_cgroups.Directories(id), d => Assert.False(Directory.Exists(d), $"{d} is left behind"));
        }
        finally
        {
            if (Directory.Exists(options.DataDir))
            {
                Directory.Delete(options.DataDir, recursive: true);
            }
        }
    }

    private string NewId()
    {
        var id = "test-" + Guid.NewGuid().ToString("N")[..12];
        _ids.Add(id);
        return id;
    }

    private Process Start(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardInput = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start)!;
        _processes.Add(process);
        return process;
    }

    private static int ChildOf(int pid)
    {
        var children = $"/proc/{pid}/task/{pid}/children";
        return File.Exists(children) && File.ReadAllText(children).Split(' ', StringSplitOptions.RemoveEmptyEntries) is [var first, ..]
            ? int.Parse(first)
            : 0;
    }

    private static string Read(string dir, string file) => File.ReadAllText(Path.Combine(dir, file)).Trim();
}

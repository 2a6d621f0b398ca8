using System.Diagnostics;
using Hoard.Providers.Local;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace Hoard.Core.Tests.Providers;

/// <summary>The loopfs provider against real loop devices, ext4 and the guests' OS user (needs root).</summary>
public sealed class LoopVolumeProviderTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const long GiB = 1L << 30;
    private const string GuestUser = "dbaas";
    private readonly List<string> _created = [];
    private LocalOptions _options = null!;
    private LoopVolumeProvider _provider = null!;

    public Task InitializeAsync()
    {
        _options = new LocalOptions { DataDir = "/tmp/hoard-loop-" + Guid.NewGuid().ToString("N")[..8], BusSocket = "/nonexistent" };
        if (Environment.GetEnvironmentVariable("HOARD_TEST_NO_LOOP") == "1")
        {
            return Task.CompletedTask;
        }

        Assert.True(Run("/usr/bin/id", ["-u"]).Stdout.Trim() == "0",
            "These tests need root (loop devices, mount); set HOARD_TEST_NO_LOOP=1 to skip them on this machine.");
        var reason = VolumeProviderSelection.LoopUnavailableReason(_options);
        Assert.True(reason is null, $"Loop-mounted volumes do not work on this machine: {reason}. Set HOARD_TEST_NO_LOOP=1 to skip these tests.");
        _provider = new LoopVolumeProvider(_options, new OsAccount(_options), NullLogger<LoopVolumeProvider>.Instance);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        if (_provider is not null)
        {
            foreach (var id in _created)
            {
                await _provider.DeleteAsync(id, default);
            }
        }

        var leaked = File.ReadAllLines("/proc/self/mountinfo").Where(l => l.Contains(_options.DataDir, StringComparison.Ordinal)).ToList();
        if (Directory.Exists(_options.DataDir) && leaked.Count == 0)
        {
            Directory.Delete(_options.DataDir, recursive: true);
        }

        Assert.True(leaked.Count == 0, "mounts left behind:\n" + string.Join('\n', leaked));
    }

    [LoopFact]
    public async Task Create_MountsASparseExt4ImageOfExactlyTheSize_OwnedByTheGuestUser()
    {
        var id = NewId();
        var watch = Stopwatch.StartNew();
        var path = await _provider.CreateAsync(id, 3, default);
        output.WriteLine($"create 3 GB: {watch.Elapsed.TotalMilliseconds:F0} ms");

        Assert.Equal(_provider.MountPath(id), path);
        var image = new FileInfo(_provider.ImagePath(id));
        Assert.Equal(3 * GiB, image.Length);
        Assert.True(AllocatedBytes(image.FullName) < 64L << 20, $"the image is not sparse: {AllocatedBytes(image.FullName)} bytes allocated");

        var mount = FindMount(path);
        Assert.NotNull(mount);
        Assert.Equal("ext4", mount.FsType);
        Assert.StartsWith("/dev/loop", mount.Source, StringComparison.Ordinal);
        foreach (var option in new[] { "nodev", "nosuid", "noexec" })
        {
            Assert.Contains(option, mount.Options.Split(','));
        }

        Assert.Equal((3 * GiB).ToString(), Run("/usr/sbin/blockdev", ["--getsize64", mount.Source]).Stdout.Trim());
        Assert.Equal($"{GuestUser} {GuestUser} 700", Run("/usr/bin/stat", ["-c", "%U %G %a", path]).Stdout.Trim());
        Assert.Contains("Reserved block count:     0", Run("/usr/sbin/dumpe2fs", ["-h", mount.Source]).Stdout);
    }

    [LoopFact]
    public async Task Create_Again_ReturnsTheSameMountedVolume_AndKeepsItsData()
    {
        var id = NewId();
        var path = await _provider.CreateAsync(id, 1, default);
        await File.WriteAllTextAsync(Path.Combine(path, "kept"), "42");
        var device = FindMount(path)!.Source;

        var watch = Stopwatch.StartNew();
        Assert.Equal(path, await _provider.CreateAsync(id, 1, default));
        output.WriteLine($"create again (already mounted): {watch.Elapsed.TotalMilliseconds:F1} ms");

        Assert.Equal(device, FindMount(path)!.Source);
        Assert.Single(LoopDevicesOf(_provider.ImagePath(id)));
        Assert.Equal("42", await File.ReadAllTextAsync(Path.Combine(path, "kept")));
        Assert.Single(File.ReadAllLines("/proc/self/mountinfo"), l => l.Contains(" " + path + " ", StringComparison.Ordinal));
    }

    [LoopFact]
    public async Task FullVolume_FailsWithEnospcForTheGuestUser_AndNeverGrowsPastTheImage()
    {
        var id = NewId();
        var path = await _provider.CreateAsync(id, 1, default);
        var usedBefore = await _provider.GetUsedBytesAsync(id, default);
        Assert.NotNull(usedBefore);
        Assert.True(usedBefore < 64L << 20, $"a fresh 1 GB volume reports {usedBefore} bytes used");

        var fill = Run("/usr/bin/dd", ["if=/dev/zero", $"of={Path.Combine(path, "fill")}", "bs=4M", "conv=fsync"], GuestUser);

        Assert.NotEqual(0, fill.ExitCode);
        Assert.Contains("No space left on device", fill.Stderr);
        var filled = new FileInfo(Path.Combine(path, "fill")).Length;
        Assert.InRange(filled, 900L << 20, GiB);
        var usedAfter = await _provider.GetUsedBytesAsync(id, default);
        Assert.True(usedAfter >= usedBefore + filled, $"used bytes went from {usedBefore} to {usedAfter} after writing {filled}");
        Assert.True(AllocatedBytes(_provider.ImagePath(id)) <= GiB, "the image grew past its size on the host");
        Assert.Equal(GiB, new FileInfo(_provider.ImagePath(id)).Length);
        output.WriteLine($"filled {filled} bytes; used {usedBefore} → {usedAfter}");
    }

    [LoopFact]
    public async Task Delete_Unmounts_DetachesTheLoopDevice_RemovesTheImage_AndIsIdempotent()
    {
        var id = NewId();
        var path = await _provider.CreateAsync(id, 2, default);
        var image = _provider.ImagePath(id);
        Assert.Single(LoopDevicesOf(image));

        var watch = Stopwatch.StartNew();
        await _provider.DeleteAsync(id, default);
        output.WriteLine($"delete 2 GB: {watch.Elapsed.TotalMilliseconds:F0} ms");

        Assert.Null(FindMount(path));
        Assert.Empty(LoopDevicesOf(image));
        Assert.False(File.Exists(image));
        Assert.False(Directory.Exists(path));
        Assert.Null(await _provider.GetUsedBytesAsync(id, default));
        await _provider.DeleteAsync(id, default);
        await _provider.DeleteAsync(NewId(), default);
    }

    [LoopFact]
    public async Task Delete_OfABusyVolume_UnmountsLazily_AndTheLoopDeviceGoesWhenTheLastUserDoes()
    {
        var id = NewId();
        var path = await _provider.CreateAsync(id, 1, default);
        var image = _provider.ImagePath(id);
        var device = Assert.Single(LoopDevicesOf(image));
        using var holder = Process.Start(new ProcessStartInfo("/usr/bin/sleep", "60") { WorkingDirectory = path, UserName = GuestUser })!;
        try
        {
            await _provider.DeleteAsync(id, default);

            Assert.True(File.Exists($"/sys/block/{Path.GetFileName(device)}/loop/backing_file"),
                $"{device} went away while a process still used the volume: the unmount was not lazy");
            Assert.Null(FindMount(path));
            Assert.False(File.Exists(image));
            Assert.False(Directory.Exists(path));
        }
        finally
        {
            holder.Kill();
            await holder.WaitForExitAsync();
        }

        await Poll.UntilAsync(() => !File.Exists($"/sys/block/{Path.GetFileName(device)}/loop/backing_file"),
            $"{device} was not detached after the last process using the volume exited");
    }

    [LoopFact]
    public async Task EnsureAttached_AfterAnUnmount_MountsTheSameDataAgain_AndTheBareMountPointIsClosedToTheGuest()
    {
        var id = NewId();
        var path = await _provider.CreateAsync(id, 1, default);
        await File.WriteAllTextAsync(Path.Combine(path, "kept"), "before the reboot");
        Assert.Equal(0, Run("/usr/bin/umount", [path]).ExitCode);
        Assert.Null(await _provider.GetUsedBytesAsync(id, default));

        var write = Run("/usr/bin/touch", [Path.Combine(path, "stray")], GuestUser);
        Assert.NotEqual(0, write.ExitCode);
        Assert.Contains("Permission denied", write.Stderr);

        Assert.True(await _provider.EnsureAttachedAsync(id, default));
        Assert.NotNull(FindMount(path));
        Assert.Equal("before the reboot", await File.ReadAllTextAsync(Path.Combine(path, "kept")));
        Assert.Equal(0, Run("/usr/bin/touch", [Path.Combine(path, "new")], GuestUser).ExitCode);
        Assert.False(await _provider.EnsureAttachedAsync(NewId(), default));
    }

    [LoopFact]
    public async Task Create_RefusesToMountOverADirectoryVolumeWithData()
    {
        var id = NewId();
        Directory.CreateDirectory(Path.Combine(_options.VolumesDir, id, "mysql"));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => _provider.CreateAsync(id, 1, default));

        Assert.Contains("'directory' volume", error.Message);
        Assert.Null(FindMount(_provider.MountPath(id)));
        Assert.False(File.Exists(_provider.ImagePath(id)));
    }

    [LoopFact]
    public void Selection_AutoChoosesLoopfsAsRoot_AndHonoursAnExplicitChoice()
    {
        var account = new OsAccount(_options);
        Assert.IsType<LoopVolumeProvider>(VolumeProviderSelection.Create("auto", _options, account, NullLoggerFactory.Instance));
        Assert.IsType<LoopVolumeProvider>(VolumeProviderSelection.Create("loopfs", _options, account, NullLoggerFactory.Instance));
        Assert.IsType<DirectoryVolumeProvider>(VolumeProviderSelection.Create("directory", _options, account, NullLoggerFactory.Instance));
        Assert.Throws<InvalidOperationException>(() => VolumeProviderSelection.Create("zfs", _options, account, NullLoggerFactory.Instance));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_options.VolumesDir));
    }

    [LoopFact]
    public async Task CreateAndDelete_OfOneAndTenGigabytes_StaySparse()
    {
        foreach (var size in new[] { 1, 10 })
        {
            var id = NewId();
            var create = Stopwatch.StartNew();
            await _provider.CreateAsync(id, size, default);
            create.Stop();
            var allocated = AllocatedBytes(_provider.ImagePath(id));
            var delete = Stopwatch.StartNew();
            await _provider.DeleteAsync(id, default);
            delete.Stop();
            // Timings are printed, not asserted (bench/ is for targets); a filled-in image is what would make them slow.
            output.WriteLine($"{size} GB: create {create.Elapsed.TotalMilliseconds:F0} ms, delete {delete.Elapsed.TotalMilliseconds:F0} ms, " +
                             $"{allocated >> 20} MiB on disk");
            Assert.True(allocated < size * (8L << 20), $"a fresh {size} GB image takes {allocated} bytes on the host");
        }
    }

    private string NewId()
    {
        var id = Guid.NewGuid().ToString();
        _created.Add(id);
        return id;
    }

    private static IReadOnlyList<string> LoopDevicesOf(string image) =>
        Run("/usr/sbin/losetup", ["--noheadings", "--output", "NAME", "--associated", image]).Stdout
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static long AllocatedBytes(string file) =>
        long.Parse(Run("/usr/bin/stat", ["-c", "%b", file]).Stdout.Trim()) * 512;

    private static MountEntry? FindMount(string path)
    {
        var found = Run("/usr/bin/findmnt", ["--noheadings", "--raw", "--output", "SOURCE,FSTYPE,OPTIONS", "--mountpoint", path]);
        return found.ExitCode != 0 || found.Stdout.Length == 0
            ? null
            : found.Stdout.Trim().Split(' ') is [var source, var type, var options] ? new MountEntry(source, type, options) : null;
    }

    private static (int ExitCode, string Stdout, string Stderr) Run(string file, string[] arguments, string? user = null)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["LC_ALL"] = "C";
        if (user is not null)
        {
            start.UserName = user;
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout, stderr.GetAwaiter().GetResult());
    }

    private sealed record MountEntry(string Source, string FsType, string Options);
}

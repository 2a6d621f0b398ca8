using System.Diagnostics;
using System.Globalization;
using Hoard.Core.Compute;
using Microsoft.Extensions.Logging;

namespace Hoard.Providers.Local;

/// <summary>
/// A volume is a sparse ext4 image (<c>volumes/&lt;id&gt;.img</c>) of exactly the requested size, loop-mounted at
/// <c>volumes/&lt;id&gt;/</c>: a full volume fails writes with ENOSPC inside it and never fills the host. Needs root.
/// </summary>
public sealed partial class LoopVolumeProvider(LocalOptions options, OsAccount account, ILogger<LoopVolumeProvider> logger)
    : IVolumeProvider
{
    private const long GiB = 1L << 30;
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    // Database files are large: one inode per 64 KiB is plenty and keeps mkfs and fsck quick.
    private const string BytesPerInode = "65536";

    // nodev/nosuid/noexec: nothing on a volume is trusted; noinit_itable: a fresh sparse image already reads as zeros.
    private const string MountOptions = "loop,nodev,nosuid,noexec,noatime,noinit_itable";

    private readonly SemaphoreSlim _lock = new(1, 1);

    // The kernel's tables name files by their canonical path; so do we, or a symlinked DataDir would never match.
    private readonly Lazy<string> _volumesDir = new(() =>
    {
        Directory.CreateDirectory(options.VolumesDir);
        return Posix.RealPath(options.VolumesDir);
    });

    public string Name => "loopfs";

    public string ImagePath(string instanceId) => Path.Combine(_volumesDir.Value, CheckId(instanceId) + ".img");

    public string MountPath(string instanceId) => Path.Combine(_volumesDir.Value, CheckId(instanceId));

    public async Task<string> CreateAsync(string instanceId, int sizeGb, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(sizeGb, 1);
        var image = ImagePath(instanceId);
        var mountPath = MountPath(instanceId);
        await _lock.WaitAsync(cancellationToken);
        try
        {
            if (!File.Exists(image))
            {
                // Mounting over a directory volume's data would hide it: the instance would come back empty.
                if (MountTable.SourceAt(mountPath) is null && Directory.Exists(mountPath) &&
                    Directory.EnumerateFileSystemEntries(mountPath).Any())
                {
                    throw new InvalidOperationException(
                        $"{mountPath} holds a 'directory' volume with data; loopfs will not mount an empty image over it " +
                        "(run this instance with VolumeProvider=directory, or move its data into an image first).");
                }

                await MakeImageAsync(image, sizeGb, cancellationToken);
            }

            await AttachAsync(image, mountPath, cancellationToken);
            return mountPath;
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>
    /// Mounts the instance's image again if it is not mounted (after a host reboot, say) before its guest starts.
    /// False when the instance has no image (it never got a loopfs volume).
    /// </summary>
    public async Task<bool> EnsureAttachedAsync(string instanceId, CancellationToken cancellationToken)
    {
        var image = ImagePath(instanceId);
        await _lock.WaitAsync(cancellationToken);
        try
        {
            if (!File.Exists(image))
            {
                return false;
            }

            await AttachAsync(image, MountPath(instanceId), cancellationToken);
            return true;
        }
        finally
        {
            _lock.Release();
        }
    }

    public Task<long?> GetUsedBytesAsync(string instanceId, CancellationToken cancellationToken)
    {
        var mountPath = MountPath(instanceId);
        return Task.FromResult<long?>(IsMountedFrom(mountPath, ImagePath(instanceId)) ? Posix.UsedBytes(mountPath) : null);
    }

    /// <summary>
    /// ftruncate the image, make its loop device see the new size (<c>losetup -c</c>) and grow ext4 while mounted
    /// (<c>resize2fs</c> on the device). Where the kernel refuses an online grow, the volume's users are stopped, the
    /// image is unmounted, checked (<c>e2fsck -f</c>), grown and mounted again. A crash half-way is repaired by running
    /// it again: an unmounted image is grown offline, an already grown filesystem is left as it is.
    /// </summary>
    public async Task<bool> ResizeAsync(string instanceId, int newSizeGb, Func<CancellationToken, Task> stopUsers,
        CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(newSizeGb, 1);
        var image = ImagePath(instanceId);
        var mountPath = MountPath(instanceId);
        var size = string.Create(CultureInfo.InvariantCulture, $"{newSizeGb}G");
        await _lock.WaitAsync(cancellationToken);
        try
        {
            if (!File.Exists(image))
            {
                throw new InvalidOperationException($"Instance {instanceId} has no loopfs image ({image}) to grow.");
            }

            var watch = Stopwatch.StartNew();
            var length = new FileInfo(image).Length;
            if (length > newSizeGb * GiB)
            {
                throw new InvalidOperationException($"The image of instance {instanceId} already has {length} bytes; volumes only grow.");
            }

            if (length < newSizeGb * GiB)
            {
                using var file = new FileStream(image, FileMode.Open, FileAccess.Write);
                file.SetLength(newSizeGb * GiB);
            }

            if (IsMountedFrom(mountPath, image))
            {
                var device = MountTable.SourceAt(mountPath)!;
                // A loop device keeps the size its file had when it was attached until told to look again.
                await HostTool.RunCheckedAsync("losetup", ["--set-capacity", device], cancellationToken);
                var online = await HostTool.RunAsync("resize2fs", [device, size], cancellationToken);
                if (online.ExitCode == 0)
                {
                    LogGrown(instanceId, newSizeGb, "online", watch.ElapsedMilliseconds);
                    return true;
                }

                LogOnlineGrowRefused(instanceId, online.Stderr);
                await stopUsers(cancellationToken);
                var unmounted = await HostTool.RunAsync("umount", [mountPath], cancellationToken);
                if (unmounted.ExitCode != 0 && MountTable.SourceAt(mountPath) is not null)
                {
                    // Never lazily: checking and growing an image something still writes to would corrupt it.
                    throw new InvalidOperationException(
                        $"The volume of instance {instanceId} is still in use after its users were stopped: {unmounted.Stderr}");
                }
            }

            foreach (var device in MountTable.LoopDevicesBacking(image))
            {
                await DetachAsync(device, image, cancellationToken);
            }

            var check = await HostTool.RunAsync("e2fsck", ["-f", "-y", image], cancellationToken);
            if (check.ExitCode > 1)
            {
                throw new InvalidOperationException(
                    $"'{check.CommandLine}' found errors it could not correct (exit {check.ExitCode}): {check.Stderr} {check.Stdout}");
            }

            await HostTool.RunCheckedAsync("resize2fs", [image, size], cancellationToken);
            await AttachAsync(image, mountPath, cancellationToken);
            LogGrown(instanceId, newSizeGb, "offline", watch.ElapsedMilliseconds);
            return false;
        }
        finally
        {
            _lock.Release();
        }
    }

    public async Task DeleteAsync(string instanceId, CancellationToken cancellationToken)
    {
        var image = ImagePath(instanceId);
        var mountPath = MountPath(instanceId);
        await _lock.WaitAsync(cancellationToken);
        try
        {
            if (MountTable.SourceAt(mountPath) is not null)
            {
                var unmounted = await HostTool.RunAsync("umount", [mountPath], cancellationToken);
                if (unmounted.ExitCode != 0 && MountTable.SourceAt(mountPath) is not null)
                {
                    // Something still holds a file open (the guest is gone by now): detach it from the tree now;
                    // the kernel releases the filesystem and its loop device when the last user lets go.
                    LogLazyUnmount(instanceId, unmounted.Stderr);
                    await HostTool.RunCheckedAsync("umount", ["--lazy", mountPath], cancellationToken);
                }
            }

            foreach (var device in MountTable.LoopDevicesBacking(image))
            {
                await DetachAsync(device, image, cancellationToken);
            }

            File.Delete(image);
            File.Delete(image + ".partial");
            if (Directory.Exists(mountPath))
            {
                if (MountTable.SourceAt(mountPath) is { } source)
                {
                    throw new InvalidOperationException($"{mountPath} is still mounted from {source}; its directory is left alone.");
                }

                Directory.Delete(mountPath, recursive: true);
            }
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Mount points, images (whole or partial) and loop devices whose backing file is in the volumes directory.</summary>
    public Task<IReadOnlyList<HeldResource>> ListHeldResourcesAsync(CancellationToken cancellationToken)
    {
        var held = new List<HeldResource>();
        var dir = _volumesDir.Value;
        foreach (var entry in Directory.EnumerateFileSystemEntries(dir))
        {
            var name = Path.GetFileName(entry);
            var id = name.EndsWith(".img.partial", StringComparison.Ordinal) ? name[..^".img.partial".Length]
                : name.EndsWith(".img", StringComparison.Ordinal) ? name[..^".img".Length]
                : name;
            if (Guid.TryParse(id, out _))
            {
                var what = MountTable.SourceAt(entry) is { } source ? $"mount {entry} from {source}" : entry;
                held.Add(new HeldResource(id, what, File.GetLastWriteTimeUtc(entry)));
            }
        }

        foreach (var (device, file) in MountTable.LoopDevices())
        {
            var image = file.EndsWith(" (deleted)", StringComparison.Ordinal) ? file[..^" (deleted)".Length] : file;
            var id = Path.GetFileNameWithoutExtension(image);
            if (Path.GetDirectoryName(image) == dir && image.EndsWith(".img", StringComparison.Ordinal) && Guid.TryParse(id, out _))
            {
                // Its age is unknown; a device whose image is in use is also listed by the image above.
                held.Add(new HeldResource(id, $"loop device {device} of {file}", DateTimeOffset.MinValue));
            }
        }

        return Task.FromResult<IReadOnlyList<HeldResource>>(held);
    }

    private async Task MakeImageAsync(string image, int sizeGb, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        // Built under another name and renamed when complete: a crash mid-way never leaves a half-made image behind
        // that a resumed create would mount.
        var partial = image + ".partial";
        using (var file = new FileStream(partial, new FileStreamOptions
               {
                   Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
               }))
        {
            // ftruncate: sparse, exactly the size asked for; blocks are allocated only as the guest writes.
            file.SetLength(sizeGb * GiB);
        }

        var owner = account.Ids is { } ids
            ? string.Create(CultureInfo.InvariantCulture, $",root_owner={ids.Uid}:{ids.Gid}")
            : "";
        await HostTool.RunCheckedAsync("mkfs.ext4",
            ["-F", "-q", "-m", "0", "-i", BytesPerInode, "-E", "lazy_itable_init=1,lazy_journal_init=1,nodiscard" + owner, partial],
            cancellationToken);
        File.Move(partial, image);
        LogCreated(Path.GetFileNameWithoutExtension(image), sizeGb, watch.ElapsedMilliseconds);
    }

    private async Task AttachAsync(string image, string mountPath, CancellationToken cancellationToken)
    {
        if (MountTable.SourceAt(mountPath) is { } source)
        {
            if (MountTable.BackingFile(source) != image)
            {
                throw new InvalidOperationException($"{mountPath} is mounted from {source}, not from {image}.");
            }
        }
        else
        {
            // Unmounted, the mount point is root's and closed: a guest started without its volume fails at once
            // instead of writing its data onto the host's filesystem.
            Directory.CreateDirectory(mountPath);
            Posix.Chown(mountPath, 0, 0);
            File.SetUnixFileMode(mountPath, OwnerOnly);
            await HostTool.RunCheckedAsync("mount", ["-t", "ext4", "-o", MountOptions, image, mountPath], cancellationToken);
            LogMounted(Path.GetFileName(mountPath), MountTable.SourceAt(mountPath) ?? "?");
        }

        // The filesystem's root: the guest's user, 0700, as the directory provider makes it.
        account.OwnTop(mountPath);
        File.SetUnixFileMode(mountPath, OwnerOnly);
    }

    private static async Task DetachAsync(string device, string image, CancellationToken cancellationToken)
    {
        var result = await HostTool.RunAsync("losetup", ["--detach", device], cancellationToken);
        if (result.ExitCode == 0)
        {
            return;
        }

        // An auto-clearing device may be going away on its own right now.
        var watch = Stopwatch.StartNew();
        while (MountTable.LoopDevicesBacking(image).Contains(device))
        {
            if (watch.Elapsed > TimeSpan.FromSeconds(5))
            {
                throw new InvalidOperationException($"'{result.CommandLine}' failed (exit {result.ExitCode}): {result.Stderr}");
            }

            await Task.Delay(20, cancellationToken);
        }
    }

    private static bool IsMountedFrom(string mountPath, string image) =>
        MountTable.SourceAt(mountPath) is { } source && MountTable.BackingFile(source) == image;

    private static string CheckId(string instanceId) =>
        instanceId.Length > 0 && instanceId.Length <= 64 && instanceId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')
            ? instanceId
            : throw new ArgumentException($"'{instanceId}' is not a valid instance id for a volume.", nameof(instanceId));

    [LoggerMessage(Level = LogLevel.Information, Message = "Made the {SizeGb} GB loopfs image of instance {InstanceId} in {Milliseconds} ms")]
    private partial void LogCreated(string instanceId, int sizeGb, long milliseconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Grew the loopfs volume of instance {InstanceId} to {SizeGb} GB {Mode} in {Milliseconds} ms")]
    private partial void LogGrown(string instanceId, int sizeGb, string mode, long milliseconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "The volume of instance {InstanceId} cannot grow while mounted ({Reason}); growing it offline")]
    private partial void LogOnlineGrowRefused(string instanceId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Mounted the volume of instance {InstanceId} from {Device}")]
    private partial void LogMounted(string instanceId, string device);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The volume of instance {InstanceId} is busy ({Reason}); unmounting it lazily")]
    private partial void LogLazyUnmount(string instanceId, string reason);
}

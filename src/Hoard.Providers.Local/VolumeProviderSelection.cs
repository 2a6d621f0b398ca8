using Hoard.Core.Compute;
using Microsoft.Extensions.Logging;

namespace Hoard.Providers.Local;

/// <summary>Chooses the volume provider from the <c>VolumeProvider</c> setting: <c>auto</c>, <c>loopfs</c> or <c>directory</c>.</summary>
public static partial class VolumeProviderSelection
{
    public const string Auto = "auto";

    public static IVolumeProvider Create(string? setting, LocalOptions options, OsAccount account, ILoggerFactory loggers)
    {
        var logger = loggers.CreateLogger(typeof(VolumeProviderSelection).FullName!);
        switch ((setting ?? Auto).Trim().ToLowerInvariant())
        {
            case "directory":
                LogChosen(logger, "directory", "configured");
                return new DirectoryVolumeProvider(options, account);
            case "loopfs":
                if (LoopUnavailableReason(options) is { } reason)
                {
                    throw new InvalidOperationException($"VolumeProvider is 'loopfs', but loop-mounted volumes do not work here: {reason}.");
                }

                LogChosen(logger, "loopfs", "configured");
                return new LoopVolumeProvider(options, account, loggers.CreateLogger<LoopVolumeProvider>());
            case Auto:
                if (LoopUnavailableReason(options) is { } why)
                {
                    LogFallback(logger, why);
                    return new DirectoryVolumeProvider(options, account);
                }

                LogChosen(logger, "loopfs", "auto: running as root and loop devices work");
                return new LoopVolumeProvider(options, account, loggers.CreateLogger<LoopVolumeProvider>());
            default:
                throw new InvalidOperationException($"VolumeProvider '{setting}' is unknown; use auto, loopfs or directory.");
        }
    }

    /// <summary>
    /// Null when loop-mounted ext4 volumes work on this host, else why not. Proven by doing it: a 16 MiB image is
    /// made, mounted, unmounted and removed (about 30 ms), since a container may show loop devices it cannot mount.
    /// </summary>
    public static string? LoopUnavailableReason(LocalOptions options)
    {
        if (!Posix.IsRoot)
        {
            return "hoard-server does not run as root";
        }

        if (!File.Exists("/dev/loop-control"))
        {
            return "/dev/loop-control is missing (no loop driver, or a container without loop devices)";
        }

        if (new[] { "mkfs.ext4", "losetup", "mount", "umount" }.FirstOrDefault(t => HostTool.Find(t) is null) is { } missing)
        {
            return $"'{missing}' is not installed (Debian packages e2fsprogs and mount)";
        }

        var probe = Path.Combine(options.VolumesDir, $".probe-{Environment.ProcessId}");
        var image = probe + ".img";
        string? mounted = null;
        try
        {
            Directory.CreateDirectory(probe);
            mounted = Posix.RealPath(probe);
            using (var file = File.Create(image))
            {
                file.SetLength(16L << 20);
            }

            foreach (var (tool, arguments) in new (string, string[])[]
                     {
                         ("losetup", ["--find"]),
                         ("mkfs.ext4", ["-F", "-q", image]),
                         ("mount", ["-t", "ext4", "-o", "loop,nodev,nosuid,noexec", image, probe]),
                         ("umount", [probe]),
                     })
            {
                var result = HostTool.RunAsync(tool, arguments, CancellationToken.None).GetAwaiter().GetResult();
                if (result.ExitCode != 0)
                {
                    return $"'{result.CommandLine}' failed: {result.Stderr}";
                }
            }

            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            return e.Message;
        }
        finally
        {
            if (mounted is not null && MountTable.SourceAt(mounted) is not null)
            {
                HostTool.RunAsync("umount", ["--lazy", probe], CancellationToken.None).GetAwaiter().GetResult();
            }

            File.Delete(image);
            if (Directory.Exists(probe))
            {
                Directory.Delete(probe);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Volumes: {Provider} ({Why})")]
    private static partial void LogChosen(ILogger logger, string provider, string why);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Volumes: directory (size recorded, not enforced): loopfs is not usable because {Reason}; set VolumeProvider to silence this")]
    private static partial void LogFallback(ILogger logger, string reason);
}

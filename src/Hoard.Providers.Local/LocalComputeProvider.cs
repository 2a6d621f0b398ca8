using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Hoard.Core.Compute;
using Microsoft.Extensions.Logging;

namespace Hoard.Providers.Local;

/// <summary>
/// Runs each instance's guest agent as a local process in its own session (so stopping the server does not
/// stop databases), as the unprivileged OS account, at its own loopback address 127.B.x.y.
/// </summary>
public sealed partial class LocalComputeProvider(
    LocalOptions options, OsAccount account, ILogger<LocalComputeProvider> logger, IVolumeProvider? volumes = null)
    : IComputeProvider
{
    /// <summary>The only variables of the server's environment a guest gets (besides <c>DOTNET_*</c>).</summary>
    private static readonly HashSet<string> GuestEnvironment = new(StringComparer.Ordinal) { "PATH", "LANG", "LC_ALL", "TZ", "TMPDIR" };

    private readonly SemaphoreSlim _addressLock = new(1, 1);
    private readonly Lazy<string> _installedGuest = new(() => InstallGuest(options));
    private readonly Lazy<InstanceCgroups> _cgroups = new(() => DetectCgroups(logger));

    public string Name => "local";

    public async Task<string> AllocateAddressAsync(string instanceId, int port, CancellationToken cancellationToken)
    {
        await _addressLock.WaitAsync(cancellationToken);
        try
        {
            var dir = options.InstanceDir(instanceId);
            var file = Path.Combine(dir, "address");
            // Written whole by a rename, so it is never empty; an empty one (from an older server killed mid-write) is no address.
            if (File.Exists(file) && (await File.ReadAllTextAsync(file, cancellationToken)).Trim() is { Length: > 0 } allocated)
            {
                return allocated;
            }

            var used = new HashSet<string>(StringComparer.Ordinal);
            if (Directory.Exists(options.InstancesDir))
            {
                foreach (var other in Directory.EnumerateDirectories(options.InstancesDir))
                {
                    var otherFile = Path.Combine(other, "address");
                    if (File.Exists(otherFile))
                    {
                        used.Add((await File.ReadAllTextAsync(otherFile, cancellationToken)).Trim());
                    }
                }
            }

            foreach (var address in InstanceAddresses.Candidates(options))
            {
                // Other Hoard servers (or anything else) on this host may hold the address: probe the port too.
                if (!used.Contains(address) && IsFree(address, port))
                {
                    Directory.CreateDirectory(dir);
                    // A crash between creating and filling the file must not leave an empty address behind.
                    var partial = file + ".partial";
                    await File.WriteAllTextAsync(partial, address, cancellationToken);
                    File.Move(partial, file, overwrite: true);
                    return address;
                }
            }

            throw new InvalidOperationException(options.AddressPool is { Count: > 0 }
                ? $"No address of the pool ({options.AddressPool.Count} addresses) is free for a new instance."
                : "No free loopback address is left for a new instance.");
        }
        finally
        {
            _addressLock.Release();
        }
    }

    private static bool IsFree(string address, int port)
    {
        var listener = new TcpListener(IPAddress.Parse(address), port);
        try
        {
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
        finally
        {
            listener.Stop();
        }
    }

    public async Task StartGuestAsync(GuestLaunch launch, CancellationToken cancellationToken)
    {
        if (await IsGuestRunningAsync(launch.InstanceId, cancellationToken))
        {
            return;
        }

        // Every start path (a resumed create, the reconciler after a host reboot) passes here: no guest may start
        // on the bare mount point of a volume that is not mounted.
        if (volumes is LoopVolumeProvider loop)
        {
            await loop.EnsureAttachedAsync(launch.InstanceId, cancellationToken);
        }

        await ApplyResourceLimitsAsync(launch.InstanceId, launch.RamMb, launch.Vcpus, cancellationToken);
        var dir = options.InstanceDir(launch.InstanceId);
        var paths = new GuestPaths(launch.VolumePath, Path.Combine(dir, "run"), Path.Combine(dir, "log"), Path.Combine(dir, "etc"));
        foreach (var sub in new[] { paths.Run, paths.Log, paths.Etc })
        {
            Directory.CreateDirectory(sub);
        }

        var configPath = Path.Combine(dir, "guest.json");
        var cache = Path.Combine(options.DataDir, "cache");
        if (!Directory.Exists(cache))
        {
            Directory.CreateDirectory(cache);
            File.SetUnixFileMode(cache, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            account.Own(cache);
        }

        var config = new GuestLaunchConfig(launch.InstanceId, launch.Manager, options.BusSocket, launch.BusSecret,
            launch.Address, launch.Port, paths, options.HeartbeatIntervalSeconds, cache, options.JsonLogs, GuestBrokerUrl(launch));
        await using (var stream = new FileStream(configPath, new FileStreamOptions
                     {
                         Mode = FileMode.Create, Access = FileAccess.Write,
                         UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                     }))
        {
            await JsonSerializer.SerializeAsync(stream, config, LocalJson.Default.GuestLaunchConfig, cancellationToken);
        }

        File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        account.Own(dir);

        var start = new ProcessStartInfo("/usr/bin/setsid")
        {
            UseShellExecute = false,
            WorkingDirectory = dir,
            RedirectStandardInput = true,
        };
        start.ArgumentList.Add(DotnetHost);
        start.ArgumentList.Add(_installedGuest.Value);
        start.ArgumentList.Add("--config");
        start.ArgumentList.Add(configPath);
        // Nothing of the server's environment reaches the guest and its database server (whose superuser a customer may
        // hold: PostgreSQL's COPY FROM PROGRAM 'env'): hoard-server's may carry storage keys (Hoard__Swift__Key, …).
        var inherited = start.Environment.Where(e => GuestEnvironment.Contains(e.Key) || e.Key.StartsWith("DOTNET_", StringComparison.Ordinal))
            .ToList();
        start.Environment.Clear();
        foreach (var (key, value) in inherited)
        {
            start.Environment[key] = value;
        }

        start.Environment["HOME"] = dir;
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_gcServer"] = "0";
        start.Environment["DOTNET_GCgen0size"] = "0x400000";
        if (account.UserName is { } user)
        {
            start.UserName = user;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("The guest agent process did not start.");
        JoinCgroup(launch.InstanceId, process.Id);
        process.StandardInput.Close();
        await File.WriteAllTextAsync(Path.Combine(dir, "guest.pid"), process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), cancellationToken);
        LogGuestStarted(launch.InstanceId, process.Id, launch.Address);
    }

    /// <summary>
    /// Process.Start returns once the guest has exec'd, long before its runtime can start a database server; Join also
    /// moves anything it started before joining, so no process of the instance escapes the group, whatever the timing.
    /// A guest that cannot be contained is not left running unlimited.
    /// </summary>
    private void JoinCgroup(string instanceId, int pid)
    {
        if (!_cgroups.Value.Enforces)
        {
            return;
        }

        try
        {
            _cgroups.Value.Join(instanceId, pid);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Posix.Signal(pid, Posix.SigKill);
            throw new InvalidOperationException($"The guest of instance {instanceId} could not join its cgroup: {e.Message}", e);
        }
    }

    public Task ApplyResourceLimitsAsync(string instanceId, int ramMb, int vcpus, CancellationToken cancellationToken)
    {
        if (!_cgroups.Value.Enforces)
        {
            return Task.CompletedTask;
        }

        _cgroups.Value.Apply(instanceId, ramMb, vcpus);
        // A guest started before its group existed (an older Hoard, say) is contained from now on.
        if (GuestPid(instanceId) is { } pid)
        {
            _cgroups.Value.Join(instanceId, pid);
        }

        LogLimitsApplied(instanceId, ramMb, vcpus, _cgroups.Value.Mode);
        return Task.CompletedTask;
    }

    public Task<ResourceLimits> DescribeResourceLimitsAsync(string instanceId, CancellationToken cancellationToken) =>
        Task.FromResult(_cgroups.Value.Describe(instanceId));

    public Task<bool> IsGuestRunningAsync(string instanceId, CancellationToken cancellationToken) =>
        Task.FromResult(GuestPid(instanceId) is not null);

    public async Task StopGuestAsync(string instanceId, TimeSpan gracePeriod, CancellationToken cancellationToken)
    {
        if (GuestPid(instanceId) is { } pid)
        {
            // The guest stops its database server cleanly on SIGTERM.
            Posix.Signal(pid, Posix.SigTerm);
            var deadline = Stopwatch.StartNew();
            while (Posix.IsAlive(pid) && deadline.Elapsed < gracePeriod)
            {
                await Task.Delay(20, cancellationToken);
            }
        }

        // Anything still running from the instance's directory (guest, database server) is killed.
        var dir = options.InstanceDir(instanceId);
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var survivors = ProcessesUsing(dir).Concat(CgroupProcesses(instanceId)).Distinct().ToList();
            if (survivors.Count == 0)
            {
                return;
            }

            foreach (var survivor in survivors)
            {
                Posix.Signal(survivor, Posix.SigKill);
            }

            await Task.Delay(20, cancellationToken);
        }

        throw new InvalidOperationException($"Processes of instance {instanceId} survived SIGKILL.");
    }

    public async Task ReleaseAsync(string instanceId, CancellationToken cancellationToken)
    {
        // Called once the processes are stopped; the group goes first so a failure leaves the directory to retry with.
        if (_cgroups.Value.Enforces)
        {
            await _cgroups.Value.RemoveAsync(instanceId, cancellationToken);
        }

        var dir = options.InstanceDir(instanceId);
        if (Directory.Exists(dir))
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    public Task<IReadOnlyList<HeldResource>> ListHeldResourcesAsync(CancellationToken cancellationToken)
    {
        var held = new List<HeldResource>();
        if (Directory.Exists(options.InstancesDir))
        {
            foreach (var dir in Directory.EnumerateDirectories(options.InstancesDir))
            {
                var id = Path.GetFileName(dir);
                var address = Path.Combine(dir, "address");
                if (IsInstanceId(id))
                {
                    held.Add(new HeldResource(id, File.Exists(address) ? $"directory {dir} with address file" : $"directory {dir}", ChangedAt(dir)));
                }
            }
        }

        var prefix = options.InstancesDir + "/";
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(entry), out var pid) && pid != Environment.ProcessId && CommandLine(pid) is { } cmd &&
                cmd.IndexOf(prefix, StringComparison.Ordinal) is >= 0 and var at &&
                cmd[(at + prefix.Length)..].Split('/', ' ')[0] is var id && IsInstanceId(id) && StartedAt(pid) is { } started)
            {
                held.Add(new HeldResource(id, $"process {pid}", started));
            }
        }

        if (_cgroups.Value.Enforces)
        {
            foreach (var group in _cgroups.Value.Parents.Where(Directory.Exists).SelectMany(Directory.EnumerateDirectories))
            {
                // Every Hoard server on the host shares these groups: only those of this server's instances are its own.
                var id = Path.GetFileName(group);
                if (IsInstanceId(id) && (Directory.Exists(options.InstanceDir(id)) ||
                                         _cgroups.Value.Processes(id).Any(p => CommandLine(p)?.Contains(options.DataDir, StringComparison.Ordinal) == true)))
                {
                    held.Add(new HeldResource(id, $"cgroup {group}", ChangedAt(group)));
                }
            }
        }

        return Task.FromResult<IReadOnlyList<HeldResource>>(held);
    }

    /// <summary>
    /// The broker URL the guest gets: with its own user and password (the bus secret) when it has a broker user, else
    /// this provider's own. Either way only in its 0600 config file.
    /// </summary>
    private Uri? GuestBrokerUrl(GuestLaunch launch) =>
        options.RabbitMqUrl is { } url && launch.BrokerUser is { } user
            ? new UriBuilder(url) { UserName = Uri.EscapeDataString(user), Password = Uri.EscapeDataString(launch.BusSecret) }.Uri
            : options.RabbitMqUrl;

    private static bool IsInstanceId(string name) => Guid.TryParse(name, out _);

    private static DateTimeOffset ChangedAt(string path) => File.GetLastWriteTimeUtc(path);

    private static DateTimeOffset? StartedAt(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return process.StartTime.ToUniversalTime();
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>The instance's cgroup also catches a process that no longer mentions its directory.</summary>
    private IEnumerable<int> CgroupProcesses(string instanceId) =>
        _cgroups.Value.Enforces ? _cgroups.Value.Processes(instanceId).Where(p => p != Environment.ProcessId) : [];

    private static InstanceCgroups DetectCgroups(ILogger logger)
    {
        var cgroups = InstanceCgroups.Detect();
        if (cgroups.UnavailableReason is { } reason)
        {
            LogLimitsNotEnforced(logger, reason);
        }
        else
        {
            LogLimitsEnforced(logger, cgroups.Mode, string.Join(", ", cgroups.Parents));
        }

        return cgroups;
    }

    private int? GuestPid(string instanceId)
    {
        var file = Path.Combine(options.InstanceDir(instanceId), "guest.pid");
        if (File.Exists(file) && int.TryParse(File.ReadAllText(file).Trim(), out var pid) &&
            CommandLine(pid) is { } cmd && cmd.Contains(instanceId, StringComparison.Ordinal))
        {
            return pid;
        }

        return AdoptGuest(instanceId, file);
    }

    /// <summary>
    /// A task manager killed between starting a guest and writing its pid file leaves a guest (in its own session) that
    /// nothing records: whoever resumes the workflow finds it by its command line and records it, instead of starting a
    /// second guest on the same instance.
    /// </summary>
    private int? AdoptGuest(string instanceId, string pidFile)
    {
        var config = "--config " + Path.Combine(options.InstanceDir(instanceId), "guest.json");
        if (!Directory.Exists(options.InstanceDir(instanceId)))
        {
            return null;
        }

        foreach (var pid in ProcessesUsing(options.InstanceDir(instanceId)))
        {
            if (CommandLine(pid) is { } cmd && cmd.Contains(config, StringComparison.Ordinal) && !cmd.StartsWith("/usr/bin/setsid", StringComparison.Ordinal))
            {
                try
                {
                    File.WriteAllText(pidFile, pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // Recorded next time; the guest is found either way.
                }

                return pid;
            }
        }

        return null;
    }

    private static IEnumerable<int> ProcessesUsing(string instanceDir)
    {
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(entry), out var pid) && pid != Environment.ProcessId &&
                CommandLine(pid) is { } cmd && cmd.Contains(instanceDir, StringComparison.Ordinal))
            {
                yield return pid;
            }
        }
    }

    private static string? CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
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

    /// <summary>
    /// Copies the guest's files into the data dir once per server start. The server's own directory may not be
    /// readable by the guests' OS user (a checkout under /root, say); the data dir always is.
    /// </summary>
    private static string InstallGuest(LocalOptions options)
    {
        var source = Path.GetDirectoryName(options.GuestAssembly ?? Path.Combine(AppContext.BaseDirectory, "guest", "hoard-guest.dll"))!;
        var target = Path.Combine(options.DataDir, "guest");
        Directory.CreateDirectory(target);
        foreach (var file in Directory.EnumerateFiles(source))
        {
            // Copy, then rename: running guests keep the files they mapped (the old inodes) untouched.
            var copy = Path.Combine(target, Path.GetFileName(file));
            File.Copy(file, copy + ".new", overwrite: true);
            File.SetUnixFileMode(copy + ".new", (UnixFileMode)0b110_100_100);
            File.Move(copy + ".new", copy, overwrite: true);
        }

        File.SetUnixFileMode(target, (UnixFileMode)0b111_101_101);
        return Path.Combine(target, "hoard-guest.dll");
    }

    private static string DotnetHost
    {
        get
        {
            var self = Environment.ProcessPath;
            if (self is not null && Path.GetFileName(self) == "dotnet")
            {
                return self;
            }

            var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
                .Select(d => Path.Combine(d, "dotnet")).FirstOrDefault(File.Exists);
            return onPath ?? "/usr/share/dotnet/dotnet";
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Resource limits: {Mode} (instances' groups under {Parents})")]
    private static partial void LogLimitsEnforced(ILogger logger, string mode, string parents);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Resource limits: none (flavors' RAM and vCPUs are not enforced): {Reason}")]
    private static partial void LogLimitsNotEnforced(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Limited instance {InstanceId} to {RamMb} MB and {Vcpus} vCPUs ({Mode})")]
    private partial void LogLimitsApplied(string instanceId, int ramMb, int vcpus, string mode);

    [LoggerMessage(Level = LogLevel.Information, Message = "Started guest of instance {InstanceId} (pid {Pid}) at {Address}")]
    private partial void LogGuestStarted(string instanceId, int pid, string address);
}

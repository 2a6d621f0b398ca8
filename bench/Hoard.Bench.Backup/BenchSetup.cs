using Hoard.Bench.Provisioning;

namespace Hoard.Bench.Backup;

/// <summary>Before and after: the OS user, the source, the server's credentials, the machine's load, and leaving the machine as it was.</summary>
internal static class BenchSetup
{
    public static async Task<string> EnsureOsUserAsync(string user, CancellationToken cancellationToken)
    {
        if ((await Cli.RunAsync("id", ["-u", user], cancellationToken)).ExitCode != 0)
        {
            Console.WriteLine($"creating OS user {user}");
            await Cli.RunCheckedAsync("useradd",
                ["--system", "--create-home", "--home-dir", "/var/lib/hoard-dbaas", "--shell", "/usr/sbin/nologin", user], cancellationToken);
        }

        return user;
    }

    /// <summary>The commit the server was built from, and whether src/ had uncommitted changes (read-only git calls).</summary>
    public static async Task<string> DescribeSourceAsync(string serverDll, CancellationToken cancellationToken)
    {
        var dir = Path.GetDirectoryName(serverDll);
        while (dir is not null && !File.Exists(Path.Combine(dir, "Hoard.slnx")))
            dir = Path.GetDirectoryName(dir);
        if (dir is null)
            return "not a Hoard checkout";
        var head = await Cli.RunAsync("git", ["-C", dir, "rev-parse", "--short", "HEAD"], cancellationToken);
        if (head.ExitCode != 0)
            return $"unknown commit ({dir} is not a git checkout)";
        var dirty = await Cli.RunAsync("git", ["--no-optional-locks", "-C", dir, "status", "--porcelain", "--untracked-files=no", "--", "src"], cancellationToken);
        return $"commit {head.Output.Trim()}{(dirty.ExitCode == 0 && dirty.Output.Trim().Length > 0 ? " + uncommitted changes in src/" : "")}";
    }

    /// <summary>The <c>export KEY=VALUE</c> lines of admin-openrc.sh.</summary>
    public static Dictionary<string, string> ReadOpenRc(string path)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(path).Select(l => l.Trim()))
        {
            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (line.StartsWith("export ", StringComparison.Ordinal) && eq > 0)
                values[line[7..eq].Trim()] = line[(eq + 1)..].Trim().Trim('"', '\'');
        }

        return values.ContainsKey("OS_USERNAME") && values.ContainsKey("OS_PASSWORD")
            ? values
            : throw new InvalidDataException($"{path} has no OS_USERNAME or OS_PASSWORD.");
    }

    /// <summary>Load average and CPU pressure: other work on the machine shows up in both sides' times.</summary>
    public static string Load()
    {
        var load = string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        try
        {
            var pressure = File.ReadLines("/proc/pressure/cpu").First().Split(' ').FirstOrDefault(f => f.StartsWith("avg60=", StringComparison.Ordinal));
            return pressure is null ? $"loadavg {load}" : $"loadavg {load}, cpu pressure {pressure}%";
        }
        catch (IOException)
        {
            return $"loadavg {load}";
        }
    }

    /// <summary>Keeps the server's and the instances' logs of a failed run, which cleanup would delete.</summary>
    public static void SaveLogs(string root)
    {
        var target = $"{root}-logs";
        var logs = Directory.EnumerateFiles(root, "*.log", SearchOption.AllDirectories)
            .Where(f => !f.Contains("/volumes/", StringComparison.Ordinal)).ToList();
        foreach (var log in logs)
        {
            var copy = Path.Combine(target, Path.GetRelativePath(root, log));
            Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            File.Copy(log, copy, overwrite: true);
        }

        if (logs.Count > 0)
            Console.Error.WriteLine($"logs of the failed run: {target}");
    }

    /// <summary>
    /// Deletes the instances and backups through the API, stops the server, kills whatever still runs from the work
    /// directory (guests and database servers outlive the server), unmounts and removes it. Runs after Ctrl+C as well,
    /// so it takes no cancellation token.
    /// </summary>
    public static async Task CleanUpAsync(HoardBackups? hoard, HoardServerProcess? server, string root)
    {
        if (hoard is not null && server is not null)
        {
            try
            {
                using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(3));
                await hoard.DeleteAllAsync(deadline.Token);
            }
            catch (Exception e)
            {
                Console.Error.WriteLine($"cleanup: deleting instances and backups failed ({e.Message}); killing their processes instead.");
            }
        }

        if (server is not null)
            await server.DisposeAsync();

        for (var attempt = 0; attempt < 50; attempt++)
        {
            var leftovers = ProcFs.Find(root);
            if (leftovers.Count == 0)
                break;
            if (attempt == 0)
                Console.Error.WriteLine($"cleanup: killing {leftovers.Count} leftover process(es): {string.Join(", ", leftovers)}");
            foreach (var pid in leftovers)
                LibC.Signal(pid, LibC.SigKill);
            await Task.Delay(100);
        }

        // Never delete through a mount: a volume may still be mounted under the data dir.
        foreach (var mount in File.ReadLines("/proc/mounts").Select(l => l.Split(' ')[1]).Where(m => m.StartsWith(root + "/", StringComparison.Ordinal)).Reverse())
            await Cli.RunAsync("umount", ["-l", mount], CancellationToken.None);

        try
        {
            Directory.Delete(root, recursive: true);
        }
        catch (IOException e)
        {
            Console.Error.WriteLine($"cleanup: could not remove {root}: {e.Message}");
        }
    }
}

namespace Hoard.Bench.Provisioning;

/// <summary>Before and after: the OS user, the server's credentials file, and leaving the machine as it was.</summary>
internal static class Setup
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
        try
        {
            var head = await Cli.RunAsync("git", ["-C", dir, "rev-parse", "--short", "HEAD"], cancellationToken);
            var dirty = await Cli.RunAsync("git", ["--no-optional-locks", "-C", dir, "status", "--porcelain", "--untracked-files=no", "--", "src"], cancellationToken);
            return head.ExitCode != 0 ? "unknown commit"
                : $"commit {head.Output.Trim()}{(dirty.ExitCode == 0 && dirty.Output.Trim().Length > 0 ? " + uncommitted changes in src/" : "")}";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "unknown commit (no git)";
        }
    }

    /// <summary>The <c>export KEY=VALUE</c> lines of admin-openrc.sh.</summary>
    public static Dictionary<string, string> ReadOpenRc(string path)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(path))
        {
            var text = line.Trim();
            var eq = text.IndexOf('=', StringComparison.Ordinal);
            if (!text.StartsWith("export ", StringComparison.Ordinal) || eq < 0)
                continue;
            values[text[7..eq].Trim()] = text[(eq + 1)..].Trim().Trim('"', '\'');
        }

        foreach (var key in new[] { "OS_USERNAME", "OS_PASSWORD" })
        {
            if (!values.ContainsKey(key))
                throw new InvalidDataException($"{path} has no {key}.");
        }

        return values;
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
    /// Delete what the run made through the API (<paramref name="deleteAll"/>, within 3 minutes), stop the server, kill
    /// whatever still runs from the work directory (guests and database servers run in their own sessions and outlive
    /// the server), unmount anything under it and remove it. Runs after Ctrl+C as well, so it takes no cancellation token.
    /// </summary>
    public static async Task CleanUpAsync(Func<CancellationToken, Task>? deleteAll, HoardServerProcess? server, string root)
    {
        if (deleteAll is not null && server is not null)
        {
            try
            {
                using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(3));
                await deleteAll(deadline.Token);
            }
            catch (Exception e)
            {
                Console.Error.WriteLine($"cleanup: deleting through the API failed ({e.Message}); killing the instances' processes instead.");
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

        // A volume provider may have mounted something under the data dir; never delete through a mount.
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

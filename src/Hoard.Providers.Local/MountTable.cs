using System.Text;

namespace Hoard.Providers.Local;

/// <summary>The kernel's mount table (<c>/proc/self/mountinfo</c>) and its loop devices (<c>/sys/block/loop*</c>).</summary>
internal static class MountTable
{
    /// <summary>The source device of what is mounted at <paramref name="mountPoint"/>, or null when nothing is.</summary>
    public static string? SourceAt(string mountPoint)
    {
        string? source = null;
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
        {
            // id parent major:minor root mount-point options [optional fields] - fstype source super-options
            var fields = line.Split(' ');
            var separator = Array.IndexOf(fields, "-", 6);
            if (fields.Length > 4 && separator > 0 && separator + 2 < fields.Length && Unescape(fields[4]) == mountPoint)
            {
                // The last one wins: a later mount on the same point hides the earlier ones.
                source = Unescape(fields[separator + 2]);
            }
        }

        return source;
    }

    /// <summary>Loop devices (<c>/dev/loopN</c>) whose backing file is <paramref name="file"/>, deleted or not.</summary>
    public static IReadOnlyList<string> LoopDevicesBacking(string file)
    {
        var devices = new List<string>();
        if (!Directory.Exists("/sys/block"))
        {
            return devices;
        }

        foreach (var block in Directory.EnumerateDirectories("/sys/block", "loop*"))
        {
            var backing = Path.Combine(block, "loop", "backing_file");
            string text;
            try
            {
                text = File.ReadAllText(backing).TrimEnd('\n');
            }
            catch (IOException)
            {
                continue;
            }

            if (text == file || text == file + " (deleted)")
            {
                devices.Add("/dev/" + Path.GetFileName(block));
            }
        }

        return devices;
    }

    /// <summary>Every loop device with a backing file, and that file (with <c> (deleted)</c> when it was removed).</summary>
    public static IEnumerable<(string Device, string File)> LoopDevices()
    {
        if (!Directory.Exists("/sys/block"))
        {
            yield break;
        }

        foreach (var block in Directory.EnumerateDirectories("/sys/block", "loop*"))
        {
            if (BackingFile(block) is { Length: > 0 } file)
            {
                yield return ("/dev/" + Path.GetFileName(block), file);
            }
        }
    }

    /// <summary>The backing file of a loop device such as <c>/dev/loop3</c>, or null when it has none.</summary>
    public static string? BackingFile(string device)
    {
        var file = Path.Combine("/sys/block", Path.GetFileName(device), "loop", "backing_file");
        try
        {
            return File.Exists(file) ? File.ReadAllText(file).TrimEnd('\n') : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>mountinfo escapes space, tab, newline and backslash as \ooo.</summary>
    private static string Unescape(string field)
    {
        if (!field.Contains('\\', StringComparison.Ordinal))
        {
            return field;
        }

        var builder = new StringBuilder(field.Length);
        for (var i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && i + 3 < field.Length && field.AsSpan(i + 1, 3).ToString() is var octal &&
                octal.All(c => c is >= '0' and <= '7'))
            {
                builder.Append((char)Convert.ToInt32(octal, 8));
                i += 3;
            }
            else
            {
                builder.Append(field[i]);
            }
        }

        return builder.ToString();
    }
}

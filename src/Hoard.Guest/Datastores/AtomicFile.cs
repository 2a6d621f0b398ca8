namespace Hoard.Guest.Datastores;

/// <summary>Files replaced whole: a reader (a starting server, a guest after a crash) sees the old file or the new one, never part of one.</summary>
internal static class AtomicFile
{
    /// <summary>Writes a temporary file next to <paramref name="path"/> with <paramref name="mode"/> from its first byte, then renames it over <paramref name="path"/>.</summary>
    /// <param name="beforeRename">Runs on the complete temporary file before it takes the name, e.g. to give it to the service user.</param>
    public static void Write(string path, string contents, UnixFileMode mode, Action<string>? beforeRename = null)
    {
        var temporary = path + ".tmp";
        File.Delete(temporary);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = mode };
        try
        {
            using (var stream = new FileStream(temporary, options))
            using (var writer = new StreamWriter(stream))
                writer.Write(contents);

            // The umask may have taken bits away from the create mode.
            File.SetUnixFileMode(temporary, mode);
            beforeRename?.Invoke(temporary);
            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }
}

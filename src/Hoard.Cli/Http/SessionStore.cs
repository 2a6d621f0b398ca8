using System.Text.Json;

namespace Hoard.Cli.Http;

/// <summary>The token <c>hoard login</c> keeps, in a file only its owner can read (0600, in a 0700 directory).</summary>
internal sealed class SessionStore(string path)
{
    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerOnlyDirectory = OwnerOnlyFile | UnixFileMode.UserExecute;

    public string Path { get; } = path;

    public Session? Load()
    {
        if (!File.Exists(Path))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(Path), SessionJsonContext.Default.Session);
        }
        catch (JsonException)
        {
            throw CliException.Auth($"{Path} is not a login hoard can read; run `hoard login` again.");
        }
    }

    public void Save(Session session)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!, OwnerOnlyDirectory);
        // Created with its mode, so the token is never readable by others, not even for an instant.
        using var stream = new FileStream(Path, new FileStreamOptions
        {
            Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = OwnerOnlyFile,
        });
        File.SetUnixFileMode(Path, OwnerOnlyFile);
        JsonSerializer.Serialize(stream, session, SessionJsonContext.Default.Session);
    }

    public bool Delete()
    {
        if (!File.Exists(Path))
        {
            return false;
        }

        File.Delete(Path);
        return true;
    }
}

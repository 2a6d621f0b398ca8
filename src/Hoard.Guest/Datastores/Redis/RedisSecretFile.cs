namespace Hoard.Guest.Datastores.Redis;

/// <summary>A one-line secret in a file only its owner can read, from its first byte on.</summary>
internal static class RedisSecretFile
{
    public static void Write(string path, string secret)
    {
        var temporary = path + ".tmp";
        File.Delete(temporary);
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        };
        using (var stream = new FileStream(temporary, options))
        using (var writer = new StreamWriter(stream))
            writer.Write(secret + "\n");
        File.Move(temporary, path, overwrite: true);
    }

    public static string Read(string path)
    {
        var secret = File.ReadAllText(path).Trim();
        return secret.Length > 0 ? secret : throw new InvalidDataException($"{path} holds no secret.");
    }
}

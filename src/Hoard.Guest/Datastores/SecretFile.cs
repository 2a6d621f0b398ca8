namespace Hoard.Guest.Datastores;

/// <summary>Files holding secrets (passwords, init SQL): only their owner can read them, from their first byte on.</summary>
internal static class SecretFile
{
    /// <summary>Replaces <paramref name="path"/> atomically, so a reader never sees a half-written secret.</summary>
    public static void Write(string path, string contents) =>
        AtomicFile.Write(path, contents, UnixFileMode.UserRead | UnixFileMode.UserWrite);

    /// <summary>A file of one secret on one line.</summary>
    public static void WriteLine(string path, string secret) => Write(path, secret + "\n");

    public static string ReadLine(string path)
    {
        var secret = File.ReadAllText(path).Trim();
        return secret.Length > 0 ? secret : throw new InvalidDataException($"{path} holds no secret.");
    }

    /// <summary>The <c>user</c> and <c>password</c> of a <c>key = value</c> file (other lines ignored); null for a missing key.</summary>
    public static (string? User, string? Password) ReadUserAndPassword(string path)
    {
        string? user = null, password = null;
        foreach (var line in File.ReadLines(path))
        {
            var equals = line.IndexOf('=');
            if (equals <= 0)
                continue;
            var value = line[(equals + 1)..].Trim();
            switch (line[..equals].Trim())
            {
                case "user":
                    user = value;
                    break;
                case "password":
                    password = value;
                    break;
            }
        }

        return (user, password);
    }
}

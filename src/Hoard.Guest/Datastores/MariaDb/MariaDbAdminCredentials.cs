namespace Hoard.Guest.Datastores.MariaDb;

/// <summary>
/// The guest's own administrator account (<c>os_admin@localhost</c>). Kept in an option file (mode 0600) so the
/// guest can reconnect after it restarts; never passed on a command line.
/// </summary>
internal sealed record MariaDbAdminCredentials(string User, string Password)
{
    public const string AdminUser = "os_admin";

    public static MariaDbAdminCredentials Generate() => new(AdminUser, Secrets.GeneratePassword());

    public static MariaDbAdminCredentials Load(string path)
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

        return user is null || password is null
            ? throw new InvalidDataException($"{path} does not hold the guest's MariaDB credentials.")
            : new MariaDbAdminCredentials(user, password);
    }

    /// <summary>Writes a <c>[client]</c> option file, created with mode 0600 so it is never readable by others.</summary>
    public void Save(string path, string socket)
    {
        WriteSecretFile(path, $"[client]\nuser = {User}\npassword = {Password}\nsocket = {socket}\n");
    }

    /// <summary>Replaces <paramref name="path"/> with a file only its owner can read, from its first byte on.</summary>
    public static void WriteSecretFile(string path, string contents)
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
            writer.Write(contents);
        File.Move(temporary, path, overwrite: true);
    }

    public override string ToString() => $"{User} (password hidden)";
}

namespace Hoard.Guest.Datastores.PostgreSql;

/// <summary>
/// The guest's own superuser (<c>os_admin</c>), reachable only over the instance's unix socket. Kept in a file
/// (mode 0600) so the guest can reconnect after it restarts; never passed on a command line.
/// </summary>
internal sealed record PostgreSqlAdminCredentials(string User, string Password)
{
    public const string AdminUser = "os_admin";

    public static PostgreSqlAdminCredentials Generate() => new(AdminUser, Secrets.GeneratePassword());

    public static PostgreSqlAdminCredentials Load(string path)
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
            ? throw new InvalidDataException($"{path} does not hold the guest's PostgreSQL credentials.")
            : new PostgreSqlAdminCredentials(user, password);
    }

    /// <summary>Replaces the file with one only its owner can read, from its first byte on.</summary>
    public void Save(string path)
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
            writer.Write($"user = {User}\npassword = {Password}\n");
        File.Move(temporary, path, overwrite: true);
    }

    public override string ToString() => $"{User} (password hidden)";
}

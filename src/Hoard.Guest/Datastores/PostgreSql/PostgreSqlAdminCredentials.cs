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
        var (user, password) = SecretFile.ReadUserAndPassword(path);
        return user is null || password is null
            ? throw new InvalidDataException($"{path} does not hold the guest's PostgreSQL credentials.")
            : new PostgreSqlAdminCredentials(user, password);
    }

    /// <summary>Replaces the file with one only its owner can read, from its first byte on.</summary>
    public void Save(string path) => SecretFile.Write(path, $"user = {User}\npassword = {Password}\n");

    public override string ToString() => $"{User} (password hidden)";
}

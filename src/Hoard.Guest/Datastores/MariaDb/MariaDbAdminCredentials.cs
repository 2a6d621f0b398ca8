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
        var (user, password) = SecretFile.ReadUserAndPassword(path);
        return user is null || password is null
            ? throw new InvalidDataException($"{path} does not hold the guest's MariaDB credentials.")
            : new MariaDbAdminCredentials(user, password);
    }

    /// <summary>Writes a <c>[client]</c> option file, created with mode 0600 so it is never readable by others.</summary>
    public void Save(string path, string socket) =>
        SecretFile.Write(path, $"[client]\nuser = {User}\npassword = {Password}\nsocket = {socket}\n");

    public override string ToString() => $"{User} (password hidden)";
}

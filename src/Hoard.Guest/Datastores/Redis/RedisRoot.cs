using Hoard.Contracts.Guest;

namespace Hoard.Guest.Datastores.Redis;

/// <summary>
/// Trove's root for Redis is the instance's <c>default</c> user, with every command. It always has a password:
/// until root is enabled, a random one nobody is told. Enabling sets a password (given or generated) and returns
/// it; disabling replaces it with a new unknown one and disconnects the clients logged in as <c>default</c>.
/// Whether root is enabled is a marker file: Redis keeps only password hashes, so "a password the customer
/// knows" is something only the guest can remember.
/// </summary>
internal static class RedisRoot
{
    public static RootCredentials Enable(RedisConnection connection, RedisPaths paths, string? password)
    {
        if (password is null)
            password = Secrets.GeneratePassword();
        else
            RedisAcl.ValidatePassword(password);

        SetPassword(connection, password);
        SecretFile.WriteLine(paths.RootPassword, password);
        File.WriteAllText(paths.RootEnabledMarker, $"{TimeProvider.System.GetUtcNow():O}\n");
        return new RootCredentials(RedisAcl.DefaultUser, password);
    }

    public static void Disable(RedisConnection connection, RedisPaths paths)
    {
        var password = Secrets.GeneratePassword();
        SetPassword(connection, password);
        SecretFile.WriteLine(paths.RootPassword, password);
        File.Delete(paths.RootEnabledMarker);
        connection.Execute("CLIENT", "KILL", "USER", RedisAcl.DefaultUser);
    }

    public static bool IsEnabled(RedisPaths paths) => File.Exists(paths.RootEnabledMarker);

    private static void SetPassword(RedisConnection connection, string password)
    {
        connection.Execute(["ACL", "SETUSER", RedisAcl.DefaultUser, "on", "resetpass", ">" + password, .. RedisAcl.AllRules()]);
        RedisUsers.Save(connection);
    }
}

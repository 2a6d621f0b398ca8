using Hoard.Contracts.Guest;

namespace Hoard.Guest.Datastores.PostgreSql;

/// <summary>
/// Trove's "root enabled": a <c>root</c> login role with <c>SUPERUSER</c>, for the customer, reachable over TCP with
/// SCRAM like any user. <c>postgres</c> stays socket-only with a password nobody is told. Disabling drops the
/// role the way a user is deleted (what it owns goes to <c>os_admin</c>), so "enabled" means "the role exists".
/// </summary>
internal static class PostgreSqlRoot
{
    public const string Name = "root";

    public static async Task<RootCredentials> EnableAsync(PostgreSqlAdmin admin, string? password)
    {
        if (password is null)
            password = Secrets.GeneratePassword();
        else
            PostgreSqlNames.ValidatePassword(password);

        var verb = await IsEnabledAsync(admin) ? "ALTER" : "CREATE";
        await admin.ExecuteAsync($"{verb} ROLE {Name} WITH LOGIN SUPERUSER CREATEDB CREATEROLE PASSWORD {PostgreSqlNames.QuoteLiteral(password)}");
        return new RootCredentials(Name, password);
    }

    public static async Task DisableAsync(PostgreSqlAdmin admin)
    {
        if (await IsEnabledAsync(admin))
            await PostgreSqlUsers.DropRoleAsync(admin, Name);
    }

    public static Task<bool> IsEnabledAsync(PostgreSqlAdmin admin) => PostgreSqlUsers.ExistsAsync(admin, Name);
}

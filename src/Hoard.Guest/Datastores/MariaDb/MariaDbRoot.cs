using Hoard.Contracts.Guest;

namespace Hoard.Guest.Datastores.MariaDb;

/// <summary>
/// Trove's "root enabled": a <c>root@'%'</c> account with every privilege, for the customer. The server's own
/// <c>root@localhost</c> keeps a random password nobody is told.
/// </summary>
internal static class MariaDbRoot
{
    private const string Name = "root";
    private const string Host = "%";

    public static RootCredentials Enable(MariaDbConnection connection, string? password)
    {
        if (password is null)
            password = Secrets.GeneratePassword();
        else
            MariaDbNames.ValidatePassword(password);

        var account = MariaDbNames.Account(connection, Name, Host);
        var verb = IsEnabled(connection) ? "ALTER" : "CREATE";
        connection.Execute($"{verb} USER {account} IDENTIFIED BY {connection.Literal(password)}");
        connection.Execute($"GRANT ALL PRIVILEGES ON *.* TO {account} WITH GRANT OPTION");
        return new RootCredentials(Name, password);
    }

    public static void Disable(MariaDbConnection connection) =>
        connection.Execute($"DROP USER IF EXISTS {MariaDbNames.Account(connection, Name, Host)}");

    public static bool IsEnabled(MariaDbConnection connection) => MariaDbUsers.Exists(connection, Name, Host);
}

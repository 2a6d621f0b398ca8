namespace Hoard.Guest.Datastores.MariaDb;

/// <summary>
/// The SQL a freshly installed server runs once at its first start (<c>--init-file</c>), before it accepts any
/// connection: it removes every account a stranger could use and creates the guest's administrator.
/// </summary>
internal static class MariaDbInitScript
{
    /// <remarks>
    /// The server skips the rest of the file after a failing statement and still starts, so the administrator
    /// is created last: if it can log in, every statement before it ran.
    /// </remarks>
    public static string Render(string rootPassword, MariaDbAdminCredentials admin)
    {
        RequireAlphanumeric(rootPassword);
        RequireAlphanumeric(admin.Password);
        return $"""
            DELETE FROM mysql.global_priv WHERE User = '' OR (User = 'root' AND Host <> 'localhost');
            DELETE FROM mysql.proxies_priv WHERE User = '' OR Host <> 'localhost';
            DELETE FROM mysql.db WHERE Db = 'test' OR Db LIKE 'test\\_%';
            DROP DATABASE IF EXISTS test;
            FLUSH PRIVILEGES;
            ALTER USER 'root'@'localhost' IDENTIFIED BY '{rootPassword}';
            DROP USER IF EXISTS '{admin.User}'@'localhost';
            CREATE USER '{admin.User}'@'localhost' IDENTIFIED BY '{admin.Password}';
            GRANT ALL PRIVILEGES ON *.* TO '{admin.User}'@'localhost' WITH GRANT OPTION;

            """;
    }

    /// <summary>
    /// For a data directory restored from another instance's backup: its users, databases and grants stay as they
    /// were, but the guest's administrator and <c>root@localhost</c> get this instance's new passwords, so the source
    /// instance's secrets open nothing here. None of it goes into the binary log: a replica's own transactions would make
    /// its GTID history diverge from its source's, which <c>gtid_strict_mode</c> refuses.
    /// </summary>
    public static string RenderForRestore(string rootPassword, MariaDbAdminCredentials admin)
    {
        RequireAlphanumeric(rootPassword);
        RequireAlphanumeric(admin.Password);
        return $"""
            SET sql_log_bin = 0;
            ALTER USER IF EXISTS 'root'@'localhost' IDENTIFIED BY '{rootPassword}';
            DROP USER IF EXISTS '{admin.User}'@'localhost';
            CREATE USER '{admin.User}'@'localhost' IDENTIFIED BY '{admin.Password}';
            GRANT ALL PRIVILEGES ON *.* TO '{admin.User}'@'localhost' WITH GRANT OPTION;

            """;
    }

    /// <summary>Finds what the init file should have removed, or a login without a password; empty when the server is locked down.</summary>
    public const string AuditQuery = """
        SELECT CONCAT(QUOTE(User), '@', QUOTE(Host)) FROM mysql.global_priv
        WHERE User = '' OR (User = 'root' AND Host <> 'localhost')
           OR (IFNULL(JSON_VALUE(Priv, '$.authentication_string'), '') = ''
               AND IFNULL(JSON_VALUE(Priv, '$.plugin'), 'mysql_native_password') IN ('mysql_native_password', 'mysql_old_password')
               AND IFNULL(JSON_VALUE(Priv, '$.account_locked'), 0) = 0 AND IFNULL(JSON_VALUE(Priv, '$.is_role'), 0) = 0)
        UNION ALL SELECT CONCAT('database ', SCHEMA_NAME) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'test'
        """;

    private static void RequireAlphanumeric(string password)
    {
        // There is no connection to escape with yet; generated passwords never need it.
        if (password.Length == 0 || !password.All(char.IsAsciiLetterOrDigit))
            throw new ArgumentException("Init-script passwords must be generated letters and digits.", nameof(password));
    }
}

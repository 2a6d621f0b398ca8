namespace Hoard.Cli.Commands.Connect;

/// <summary>
/// A datastore's own command-line client: how to point it at an instance, and the environment variable that
/// carries the password (so that it never appears in the child's arguments, which <c>ps</c> shows to everyone).
/// </summary>
internal sealed record DatastoreClient(
    string Datastore, string Program, string Scheme, int DefaultPort, string DefaultUser, string PasswordVariable,
    Func<string, int, string, string?, IReadOnlyList<string>> Arguments)
{
    public static readonly IReadOnlyList<DatastoreClient> All =
    [
        new("mariadb", "mariadb", "mysql", 3306, "root", "MYSQL_PWD",
            (host, port, user, database) => ["-h", host, "-P", Text(port), "-u", user, .. Optional(database)]),
        new("postgresql", "psql", "postgresql", 5432, "postgres", "PGPASSWORD",
            (host, port, user, database) => ["-h", host, "-p", Text(port), "-U", user, "-d", database ?? "postgres"]),
        new("redis", "redis-cli", "redis", 6379, "default", "REDISCLI_AUTH",
            (host, port, user, database) => ["-h", host, "-p", Text(port), "--user", user, .. database is null ? [] : new[] { "-n", database }]),
    ];

    public static DatastoreClient? Find(string datastore) =>
        All.FirstOrDefault(c => string.Equals(c.Datastore, datastore, StringComparison.OrdinalIgnoreCase));

    /// <summary>A URL to paste into an application's settings, as the superuser; the password is left out on purpose.</summary>
    public string ConnectionString(string host, int port) => $"{Scheme}://{Uri.EscapeDataString(DefaultUser)}@{host}:{Text(port)}/";

    private static string Text(int port) => port.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static string[] Optional(string? value) => value is null ? [] : [value];
}

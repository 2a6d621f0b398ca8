using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Hoard.Contracts.Guest;
using Hoard.Core.Catalog;

namespace Hoard.Server.Trove;

/// <summary>
/// Validates database and user names, hosts, passwords and character sets against a datastore version's
/// capabilities (data, not code), so bad names are refused before anything is changed.
/// </summary>
internal sealed class DatastoreRules(DatastoreCapabilities capabilities)
{
    private readonly Regex _database = new(capabilities.DatabaseNamePattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
    private readonly Regex _user = new(capabilities.UserNamePattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
    private readonly Regex _passwordForbidden = new(capabilities.PasswordForbiddenPattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
    private readonly Regex _host = new(capabilities.HostPattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

    public DatastoreCapabilities Capabilities => capabilities;

    public void RequireDatabases()
    {
        if (!capabilities.SupportsDatabases)
        {
            throw TroveFault.NotImplemented("This datastore does not support databases.");
        }
    }

    public void RequireUsers()
    {
        if (!capabilities.SupportsUsers)
        {
            throw TroveFault.NotImplemented("This datastore does not support users.");
        }
    }

    public string DatabaseName(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > capabilities.DatabaseNameMaxLength || !_database.IsMatch(name))
        {
            throw TroveFault.BadRequest($"'{Shorten(name)}' is not a valid database name.");
        }

        return capabilities.ReservedDatabases.Contains(name, StringComparer.OrdinalIgnoreCase)
            ? throw TroveFault.BadRequest($"'{name}' is a reserved database name.")
            : name;
    }

    public string UserName(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > capabilities.UserNameMaxLength || !_user.IsMatch(name))
        {
            throw TroveFault.BadRequest($"'{Shorten(name)}' is not a valid user name.");
        }

        return capabilities.ReservedUsers.Contains(name, StringComparer.OrdinalIgnoreCase)
            ? throw TroveFault.BadRequest($"'{name}' is a reserved user name.")
            : name;
    }

    public string Password(string? password)
    {
        if (string.IsNullOrEmpty(password) || password.Length > 255 || _passwordForbidden.IsMatch(password) ||
            char.IsWhiteSpace(password[0]) || char.IsWhiteSpace(password[^1]))
        {
            throw TroveFault.BadRequest("The password is not valid: it must be 1 to 255 characters without quotes, " +
                                        "backticks, semicolons, commas, slashes, backslashes or surrounding spaces.");
        }

        return password;
    }

    public string Host(string? host)
    {
        if (host is null or "%")
        {
            return "%";
        }

        if (!capabilities.SupportsUserHost)
        {
            throw TroveFault.BadRequest("This datastore does not support user hosts.");
        }

        // As in Trove: '%' is a wildcard, so the host must be an IP address or network once '%' is replaced.
        var probe = host.Replace('%', '1');
        var valid = _host.IsMatch(host) && (host == "localhost" || IPNetwork.TryParse(probe, out _) || IPAddress.TryParse(probe, out _));
        return valid ? host : throw TroveFault.BadRequest($"'{Shorten(host)}' is not a valid host.");
    }

    public DatabaseSpec Database(JsonObject o, string path)
    {
        Body.OnlyKeys(o, path, "name", "character_set", "collate");
        var name = DatabaseName(Body.String(o, "name", path, required: true, maxLength: 1024));
        var charset = Body.String(o, "character_set", path);
        var collate = Body.String(o, "collate", path);
        if (capabilities.CharacterSets.Count > 0)
        {
            if (charset is not null && !capabilities.CharacterSets.ContainsKey(charset))
            {
                throw TroveFault.BadRequest($"'{Shorten(charset)}' is not a valid character set.");
            }

            if (collate is not null)
            {
                var owner = capabilities.CharacterSets.FirstOrDefault(kv => kv.Value.Contains(collate)).Key;
                if (owner is null)
                {
                    throw TroveFault.BadRequest($"'{Shorten(collate)}' is not a valid collation.");
                }

                if (charset is not null && owner != charset)
                {
                    throw TroveFault.BadRequest($"{collate} is not a valid collation for character set {charset}.");
                }
            }
        }

        return new DatabaseSpec(name, charset, collate);
    }

    /// <summary>A database named by a <c>{"name":…}</c> object, as in grants; anything else is a 400, never a 500.</summary>
    public string DatabaseRef(JsonNode? item, string path) =>
        DatabaseName(item is JsonObject o
            ? Body.String(o, "name", path, required: true, maxLength: 1024)
            : throw TroveFault.Validation($"{path} must be an object."));

    public List<DatabaseSpec> Databases(JsonArray array, string path)
    {
        var result = new List<DatabaseSpec>();
        foreach (var (item, index) in array.Select((x, i) => (x, i)))
        {
            var db = Database(item as JsonObject ?? throw TroveFault.Validation($"{path}[{index}] must be an object."), $"{path}[{index}]");
            if (result.Any(d => d.Name == db.Name))
            {
                throw TroveFault.BadRequest($"Database '{db.Name}' is listed more than once.");
            }

            result.Add(db);
        }

        return result;
    }

    /// <summary>Users with their databases; names in <paramref name="knownDatabases"/> (when given) must include each grant.</summary>
    public List<UserSpec> Users(JsonArray array, string path, IReadOnlyCollection<string>? knownDatabases, bool requirePassword = true)
    {
        var result = new List<UserSpec>();
        foreach (var (item, index) in array.Select((x, i) => (x, i)))
        {
            var p = $"{path}[{index}]";
            var o = item as JsonObject ?? throw TroveFault.Validation($"{p} must be an object.");
            Body.OnlyKeys(o, p, "name", "password", "host", "databases");
            var name = UserName(Body.String(o, "name", p, required: true, maxLength: 1024));
            var password = requirePassword || o["password"] is not null ? Password(Body.String(o, "password", p, required: true)) : null;
            var host = Host(Body.String(o, "host", p));
            var databases = new List<string>();
            foreach (var (db, j) in (Body.Array(o, "databases", p) ?? []).Select((x, j) => (x, j)))
            {
                var dbName = DatabaseRef(db, $"{p}.databases[{j}]");
                if (knownDatabases is not null && !knownDatabases.Contains(dbName))
                {
                    throw TroveFault.BadRequest($"Database '{dbName}' granted to user '{name}' is not in the list of databases to create.");
                }

                databases.Add(dbName);
            }

            if (result.Any(u => u.Name == name && u.Host == host))
            {
                throw TroveFault.BadRequest($"User '{name}'@'{host}' is listed more than once.");
            }

            result.Add(new UserSpec(name, password, host, databases));
        }

        return result;
    }

    /// <summary>Splits Trove's <c>name@host</c> path form (split on the last '@'; host defaults to '%').</summary>
    public UserRef UserRef(string raw, string? hostQuery)
    {
        var decoded = Uri.UnescapeDataString(raw);
        var at = decoded.LastIndexOf('@');
        var (name, host) = at > 0 ? (decoded[..at], decoded[(at + 1)..]) : (decoded, hostQuery ?? "%");
        return new UserRef(UserName(name), Host(host));
    }

    private static string Shorten(string? value) => value is null ? "" : value.Length > 64 ? value[..64] + "…" : value;
}

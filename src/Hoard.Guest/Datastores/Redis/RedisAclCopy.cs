using Hoard.Contracts.Bus;
using Hoard.Contracts.Guest;

namespace Hoard.Guest.Datastores.Redis;

/// <summary>
/// Redis does not replicate ACL users, so a source hands its customers' users to each replica as the lines
/// <c>ACL LIST</c> prints (<c>user alice on #&lt;sha256&gt; ~* &amp;* +@all ...</c>: password hashes only), and the
/// replica defines the same users with <c>ACL SETUSER</c>. The reserved users (<c>default</c>, <c>os_admin</c>,
/// <c>os_repl</c>) are never copied: each instance keeps its own.
/// </summary>
internal static class RedisAclCopy
{
    /// <summary>The source's customer users, one <c>ACL LIST</c> line each.</summary>
    public static string Read(RedisConnection connection) =>
        string.Join('\n', connection.Execute("ACL", "LIST").AsArray()
            .Select(line => line.AsString())
            .Where(line => Tokens(line) is ["user", var name, ..] && !RedisAcl.IsReservedUser(name))
            .Order(StringComparer.Ordinal));

    /// <summary>Checks the lines a source sent and splits each into its user name and rules, before anything changes.</summary>
    public static List<(string Name, List<string> Rules)> Parse(string? acl)
    {
        var users = new List<(string Name, List<string> Rules)>();
        foreach (var line in (acl ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (Tokens(line) is not ["user", var name, .. var rules])
                throw BadRequest("The source's ACL holds a line that is not a user.");
            RedisAcl.ValidateCustomerUserName(name);
            // A clear password (">secret") never travels: the source sends hashes.
            if (rules.Any(rule => rule.StartsWith('>') || rule.StartsWith('<')))
                throw BadRequest($"The source's ACL rules of user '{name}' hold a clear-text password.");
            users.Add((name, rules));
        }

        return users;
    }

    /// <summary>
    /// Defines each user exactly as on the source, leaving alone users whose rules already match (redefining them
    /// would gain nothing), then saves the ACL file. Users the source does not have are not deleted.
    /// </summary>
    public static int Apply(RedisConnection connection, IReadOnlyList<(string Name, List<string> Rules)> users)
    {
        if (users.Count == 0)
            return 0;
        var current = connection.Execute("ACL", "LIST").AsArray()
            .Select(line => Tokens(line.AsString()))
            .Where(tokens => tokens.Count >= 2)
            .ToDictionary(tokens => tokens[1], tokens => string.Join(' ', tokens.Skip(2)), StringComparer.Ordinal);
        var changed = 0;
        foreach (var (name, rules) in users)
        {
            if (current.TryGetValue(name, out var existing) && existing == string.Join(' ', rules))
                continue;
            try
            {
                connection.Execute(["ACL", "SETUSER", name, "reset", .. rules]);
            }
            catch (RedisException e) when (!e.IsConnectionFailure)
            {
                throw BadRequest($"Redis refused the source's ACL rules of user '{name}': {e.Message}");
            }

            changed++;
        }

        if (changed > 0)
            RedisUsers.Save(connection);
        return changed;
    }

    /// <summary>Splits a rule line on spaces, keeping a selector such as <c>(~k* +get)</c> as one rule.</summary>
    private static List<string> Tokens(string line)
    {
        var tokens = new List<string>();
        var depth = 0;
        var current = new System.Text.StringBuilder();
        foreach (var c in line)
        {
            if (c == ' ' && depth == 0)
            {
                if (current.Length > 0)
                    tokens.Add(current.ToString());
                current.Clear();
                continue;
            }

            depth += c switch { '(' => 1, ')' => depth > 0 ? -1 : 0, _ => 0 };
            current.Append(c);
        }

        if (current.Length > 0)
            tokens.Add(current.ToString());
        return tokens;
    }

    private static HandlerException BadRequest(string message) => new(GuestErrorCodes.BadRequest, message);
}

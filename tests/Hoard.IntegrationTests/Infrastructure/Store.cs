using System.Text.Json.Nodes;

namespace Hoard.IntegrationTests.Infrastructure;

/// <summary>One datastore's way to write and read a key as the instance's user <c>app</c>.</summary>
internal abstract class Store
{
    /// <param name="password">The password of the instance's user <c>app</c>.</param>
    public static Store For(string datastore, string password) => datastore switch
    {
        "mariadb" => new MariaDb { Password = password },
        "postgresql" => new PostgreSql { Password = password },
        _ => new Redis { Password = password },
    };

    protected string Password { get; private init; } = "";

    public abstract JsonObject Body(string name);

    public virtual Task InitialiseAsync(string ip) => Task.CompletedTask;

    public async Task WriteAsync(string ip, string key, string value) =>
        Assert.True(await TryWriteAsync(ip, key, value), $"writing '{key}' on {ip} failed");

    public abstract Task<bool> TryWriteAsync(string ip, string key, string value);

    /// <summary>The key's value, or "" when it is absent.</summary>
    public abstract Task<string> ReadAsync(string ip, string key);

    private sealed class MariaDb : Store
    {
        public override JsonObject Body(string name) => TroveClient.InstanceBody(name, "shop", "app", Password);

        public override async Task InitialiseAsync(string ip) =>
            await MariaDbClient.QueryOkAsync(ip, "app", Password, "shop", "CREATE TABLE kv (k VARCHAR(64) PRIMARY KEY, v TEXT NOT NULL)");

        public override async Task<bool> TryWriteAsync(string ip, string key, string value) =>
            (await MariaDbClient.QueryAsync(ip, "app", Password, "shop", $"REPLACE INTO kv VALUES ('{key}', '{value}')")).Succeeded;

        public override async Task<string> ReadAsync(string ip, string key) =>
            (await MariaDbClient.QueryOkAsync(ip, "app", Password, "shop", $"SELECT v FROM kv WHERE k = '{key}'")).Trim();
    }

    private sealed class PostgreSql : Store
    {
        public override JsonObject Body(string name)
        {
            var body = TroveClient.InstanceBody(name, "shop", "app", Password);
            body["instance"]!["datastore"] = new JsonObject { ["type"] = "postgresql", ["version"] = "15" };
            return body;
        }

        public override async Task InitialiseAsync(string ip) =>
            await PsqlClient.QueryOkAsync(ip, "app", Password, "shop", "CREATE TABLE kv (k text PRIMARY KEY, v text NOT NULL)");

        public override async Task<bool> TryWriteAsync(string ip, string key, string value) =>
            (await PsqlClient.QueryAsync(ip, "app", Password, "shop",
                $"INSERT INTO kv VALUES ('{key}', '{value}') ON CONFLICT (k) DO UPDATE SET v = excluded.v")).Succeeded;

        public override async Task<string> ReadAsync(string ip, string key) =>
            await PsqlClient.QueryOkAsync(ip, "app", Password, "shop", $"SELECT v FROM kv WHERE k = '{key}'");
    }

    private sealed class Redis : Store
    {
        public override JsonObject Body(string name)
        {
            var body = TroveClient.InstanceBody(name, null, "app", Password);
            body["instance"]!["datastore"] = new JsonObject { ["type"] = "redis", ["version"] = "7.0" };
            body["instance"]!.AsObject().Remove("databases");
            body["instance"]!["users"]![0]!.AsObject().Remove("databases");
            return body;
        }

        public override async Task<bool> TryWriteAsync(string ip, string key, string value) =>
            (await RedisCli.RunAsync(ip, "app", Password, "SET", key, value)).Trim() == "OK";

        public override async Task<string> ReadAsync(string ip, string key) =>
            (await RedisCli.RunAsync(ip, "app", Password, "GET", key)).Trim();
    }
}

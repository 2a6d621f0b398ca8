using System.Text.Json.Nodes;
using Hoard.IntegrationTests.Infrastructure;

namespace Hoard.IntegrationTests;

/// <summary>Configuration groups over the Trove API, applied to real MariaDB, PostgreSQL and Redis servers.</summary>
[Collection(HoardServerCollection.Name)]
[Trait("Category", "Integration")]
public sealed class ConfigurationGroupTests(HoardServerFixture server)
{
    private const string Password = "Cfg-App-123";

    private TroveClient Client => server.Client;

    private TroveSession Admin => server.Admin;

    [Fact]
    public async Task BadValues_Are422NamingTheParameter_AndCreateNothing()
    {
        var before = TroveClient.Expect(await Client.GetAsync(Admin, "configurations?limit=1000"), 200).Object["configurations"]!.AsArray().Count;
        foreach (var (values, message) in new[]
                 {
                     ("""{"no_such_setting": 1}""", "'no_such_setting' is not supported by mariadb 10.11"),
                     ("""{"max_connections": "many"}""", "'max_connections' must be an integer, not a string"),
                     ("""{"max_connections": 0}""", "of 'max_connections' is less than its minimum"),
                     ("""{"max_connections": 100000000}""", "of 'max_connections' is greater than its maximum"),
                 })
        {
            var response = await Client.PostAsync(Admin, "configurations", Group("bad", "mariadb", "10.11", values));
            Assert.True(response.Status == 422, response.ToString());
            Assert.Contains(message, response.Object["unprocessableEntity"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        }

        var missing = await Client.PostAsync(Admin, "configurations", """{"configuration":{"name":"x"}}""");
        Assert.True(missing.Status == 400, missing.ToString());
        var unknownDatastore = await Client.PostAsync(Admin, "configurations", Group("x", "nosql", "1", "{}"));
        Assert.True(unknownDatastore.Status == 404, unknownDatastore.ToString());
        var after = TroveClient.Expect(await Client.GetAsync(Admin, "configurations?limit=1000"), 200).Object["configurations"]!.AsArray().Count;
        Assert.Equal(before, after);
    }

    [Fact]
    public async Task Parameters_AreServedPerDatastoreVersion()
    {
        foreach (var (datastore, version, minimum) in new[] { ("mariadb", "10.11", 25), ("postgresql", "15", 25), ("redis", "7.0", 10) })
        {
            var list = TroveClient.Expect(await Client.GetAsync(Admin, $"datastores/{datastore}/versions/{version}/parameters"), 200);
            var parameters = list.Object["configuration-parameters"]!.AsArray();
            Assert.True(parameters.Count >= minimum, $"{datastore} has {parameters.Count} parameters");
            var first = parameters[0]!;
            Assert.NotNull(first["restart_required"]);
            var versionId = first["datastore_version_id"]!.GetValue<string>();
            var name = first["name"]!.GetValue<string>();
            var one = TroveClient.Expect(await Client.GetAsync(Admin, $"datastores/versions/{versionId}/parameters/{name}"), 200);
            Assert.Equal(name, one.Object["name"]!.GetValue<string>());
        }

        var unknown = await Client.GetAsync(Admin, "datastores/mariadb/versions/10.11/parameters/no_such_setting");
        Assert.True(unknown.Status == 404, unknown.ToString());
    }

    [Fact]
    public async Task MariaDb_GroupIsGuarded_AppliedLive_Merged_Replaced_AndDetached()
    {
        var id = await CreateInstanceAsync("cfg-guards", "mariadb", "10.11");
        var ip = (await Client.WaitForActiveAsync(Admin, id))["ip"]![0]!.GetValue<string>();
        Assert.Equal("50", await MariaDbGlobalAsync(ip, "max_connections"));

        var other = await CreateGroupAsync("cfg-pg", "postgresql", "15", """{"work_mem": 8192}""");
        var wrongDatastore = await Client.PutAsync(Admin, $"instances/{id}", AttachBody(other));
        Assert.True(wrongDatastore.Status == 400, wrongDatastore.ToString());

        var huge = await CreateGroupAsync("cfg-huge", "mariadb", "10.11", """{"innodb_buffer_pool_size": 1073741824}""");
        var tooBig = await Client.PutAsync(Admin, $"instances/{id}", AttachBody(huge));
        Assert.True(tooBig.Status == 422, tooBig.ToString());
        Assert.Contains("does not fit flavor", tooBig.Text, StringComparison.Ordinal);

        var group = await CreateGroupAsync("cfg-live", "mariadb", "10.11", """{"max_connections": 123, "long_query_time": 3}""");
        TroveClient.Expect(await Client.PutAsync(Admin, $"instances/{id}", AttachBody(group)), 202);
        var shown = await Client.WaitForActiveAsync(Admin, id);
        Assert.Equal(group, shown["configuration"]!["id"]!.GetValue<string>());
        Assert.Equal("123", await MariaDbGlobalAsync(ip, "max_connections"));

        var again = await Client.PutAsync(Admin, $"instances/{id}", AttachBody(group));
        Assert.True(again.Status == 400, again.ToString());
        var deleteAttached = await Client.DeleteAsync(Admin, $"configurations/{group}");
        Assert.True(deleteAttached.Status == 400, deleteAttached.ToString());

        var detail = TroveClient.Expect(await Client.GetAsync(Admin, $"configurations/{group}"), 200).Object["configuration"]!;
        Assert.Equal(1, detail["instance_count"]!.GetValue<int>());
        Assert.Equal("mariadb", detail["datastore_name"]!.GetValue<string>());
        var members = TroveClient.Expect(await Client.GetAsync(Admin, $"configurations/{group}/instances"), 200);
        Assert.Equal(id, members.Object["instances"]![0]!["id"]!.GetValue<string>());
        var effective = TroveClient.Expect(await Client.GetAsync(Admin, $"instances/{id}/configuration"), 200);
        var configuration = effective.Object["instance"]!["configuration"]!;
        Assert.Equal("123", configuration["max_connections"]!.GetValue<string>());
        Assert.NotNull(configuration["innodb_buffer_pool_size"]);
        Assert.DoesNotContain("/", configuration["datadir"]?.GetValue<string>() ?? "", StringComparison.Ordinal);

        // A refused edit changes nothing, not even the values that were fine.
        var badPatch = await Client.PatchAsync(Admin, $"configurations/{group}", """{"configuration":{"values":{"max_connections": 150, "wait_timeout": -1}}}""");
        Assert.True(badPatch.Status == 422, badPatch.ToString());
        Assert.Equal("123", await MariaDbGlobalAsync(ip, "max_connections"));

        TroveClient.Expect(await Client.PatchAsync(Admin, $"configurations/{group}", """{"configuration":{"values":{"max_connections": 150}}}"""), 200);
        await Client.WaitForActiveAsync(Admin, id);
        Assert.Equal("150", await MariaDbGlobalAsync(ip, "max_connections"));
        Assert.Equal("3.000000", await MariaDbGlobalAsync(ip, "long_query_time"));

        TroveClient.Expect(await Client.PutAsync(Admin, $"configurations/{group}", """{"configuration":{"values":{"long_query_time": 5},"name":"cfg-renamed"}}"""), 202);
        await Client.WaitForActiveAsync(Admin, id);
        Assert.Equal("50", await MariaDbGlobalAsync(ip, "max_connections"));
        Assert.Equal("5.000000", await MariaDbGlobalAsync(ip, "long_query_time"));
        Assert.Equal("cfg-renamed", TroveClient.Expect(await Client.GetAsync(Admin, $"configurations/{group}"), 200).Object["configuration"]!["name"]!.GetValue<string>());

        TroveClient.Expect(await Client.PutAsync(Admin, $"instances/{id}", """{"instance":{}}"""), 202);
        shown = await Client.WaitForActiveAsync(Admin, id);
        Assert.Null(shown["configuration"]);
        Assert.Equal("10.000000", await MariaDbGlobalAsync(ip, "long_query_time"));
        TroveClient.Expect(await Client.DeleteAsync(Admin, $"configurations/{group}"), 202);
        Assert.Equal(404, (await Client.GetAsync(Admin, $"configurations/{group}")).Status);

        TroveClient.Expect(await Client.DeleteAsync(Admin, $"instances/{id}"), 202);
        await Client.WaitUntilGoneAsync(Admin, id);
        foreach (var g in new[] { other, huge })
        {
            TroveClient.Expect(await Client.DeleteAsync(Admin, $"configurations/{g}"), 202);
        }
    }

    [Fact]
    public async Task PostgreSql_GroupAtCreate_AndALiveChange()
    {
        var group = await CreateGroupAsync("cfg-pg-create", "postgresql", "15", """{"max_connections": 77, "work_mem": 8192}""");
        var id = await CreateInstanceAsync("cfg-pg", "postgresql", "15", group);
        var ip = (await Client.WaitForActiveAsync(Admin, id))["ip"]![0]!.GetValue<string>();
        Assert.Equal("77", await PsqlClient.QueryOkAsync(ip, "app", Password, "shop", "SHOW max_connections"));
        Assert.Equal("8MB", await PsqlClient.QueryOkAsync(ip, "app", Password, "shop", "SHOW work_mem"));

        TroveClient.Expect(await Client.PatchAsync(Admin, $"configurations/{group}", """{"configuration":{"values":{"work_mem": 16384}}}"""), 200);
        await Client.WaitForActiveAsync(Admin, id);
        Assert.Equal("16MB", await PsqlClient.QueryOkAsync(ip, "app", Password, "shop", "SHOW work_mem"));

        TroveClient.Expect(await Client.PatchAsync(Admin, $"configurations/{group}", """{"configuration":{"values":{"max_connections": 88}}}"""), 200);
        await Client.WaitForStatusAsync(Admin, id, "RESTART_REQUIRED");
        Assert.Equal("77", await PsqlClient.QueryOkAsync(ip, "app", Password, "shop", "SHOW max_connections"));
        TroveClient.Expect(await Client.PostAsync(Admin, $"instances/{id}/action", """{"restart":{}}"""), 202);
        await Client.WaitForActiveAsync(Admin, id);
        Assert.Equal("88", await PsqlClient.QueryOkAsync(ip, "app", Password, "shop", "SHOW max_connections"));

        TroveClient.Expect(await Client.DeleteAsync(Admin, $"instances/{id}"), 202);
        await Client.WaitUntilGoneAsync(Admin, id);
        TroveClient.Expect(await Client.DeleteAsync(Admin, $"configurations/{group}"), 202);
    }

    [Fact]
    public async Task Redis_LiveValueAndRestartRequiredValue()
    {
        var id = await CreateInstanceAsync("cfg-redis", "redis", "7.0");
        var ip = (await Client.WaitForActiveAsync(Admin, id))["ip"]![0]!.GetValue<string>();
        var root = TroveClient.Expect(await Client.PostAsync(Admin, $"instances/{id}/root", null), 200).Object["user"]!;
        var (rootName, rootPassword) = (root["name"]!.GetValue<string>(), root["password"]!.GetValue<string>());

        var group = await CreateGroupAsync("cfg-redis", "redis", "7.0", """{"maxmemory-policy": "allkeys-lru", "databases": 32}""");
        TroveClient.Expect(await Client.PutAsync(Admin, $"instances/{id}", AttachBody(group)), 202);
        await Client.WaitForStatusAsync(Admin, id, "RESTART_REQUIRED");
        Assert.Contains("allkeys-lru", await RedisCli.RunAsync(ip, rootName, rootPassword, "CONFIG", "GET", "maxmemory-policy"), StringComparison.Ordinal);
        Assert.Contains("16", await RedisCli.RunAsync(ip, rootName, rootPassword, "CONFIG", "GET", "databases"), StringComparison.Ordinal);

        TroveClient.Expect(await Client.PostAsync(Admin, $"instances/{id}/action", """{"restart":{}}"""), 202);
        await Client.WaitForActiveAsync(Admin, id);
        Assert.Contains("32", await RedisCli.RunAsync(ip, rootName, rootPassword, "CONFIG", "GET", "databases"), StringComparison.Ordinal);
        Assert.Contains("allkeys-lru", await RedisCli.RunAsync(ip, rootName, rootPassword, "CONFIG", "GET", "maxmemory-policy"), StringComparison.Ordinal);
        Assert.Equal("OK", (await RedisCli.RunAsync(ip, "app", Password, "SET", "k", "v")).Trim());

        TroveClient.Expect(await Client.DeleteAsync(Admin, $"instances/{id}"), 202);
        await Client.WaitUntilGoneAsync(Admin, id);
        TroveClient.Expect(await Client.DeleteAsync(Admin, $"configurations/{group}"), 202);
    }

    private async Task<string> CreateInstanceAsync(string name, string datastore, string version, string? configuration = null)
    {
        var body = TroveClient.InstanceBody(name, datastore == "redis" ? null : "shop", "app", Password);
        body["instance"]!["datastore"] = new JsonObject { ["type"] = datastore, ["version"] = version };
        if (configuration is not null)
        {
            body["instance"]!["configuration"] = configuration;
        }

        return (await Client.CreateInstanceAsync(Admin, body))["id"]!.GetValue<string>();
    }

    private async Task<string> CreateGroupAsync(string name, string datastore, string version, string values)
    {
        var response = TroveClient.Expect(await Client.PostAsync(Admin, "configurations", Group(name, datastore, version, values)), 200);
        return response.Object["configuration"]!["id"]!.GetValue<string>();
    }

    private static string Group(string name, string datastore, string version, string values) => new JsonObject
    {
        ["configuration"] = new JsonObject
        {
            ["name"] = name, ["values"] = JsonNode.Parse(values),
            ["datastore"] = new JsonObject { ["type"] = datastore, ["version"] = version },
        },
    }.ToJsonString();

    private static string AttachBody(string group) =>
        new JsonObject { ["instance"] = new JsonObject { ["configuration"] = group } }.ToJsonString();

    private static async Task<string> MariaDbGlobalAsync(string ip, string variable) =>
        (await MariaDbClient.QueryOkAsync(ip, "app", Password, null, $"SELECT @@GLOBAL.{variable}")).Trim();
}

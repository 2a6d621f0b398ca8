using System.Text.Json.Nodes;
using Hoard.IntegrationTests.Infrastructure;

namespace Hoard.IntegrationTests;

/// <summary>Every bad request gets Trove's fault body and status, never a 500, and changes nothing.</summary>
[Collection(HoardServerCollection.Name)]
[Trait("Category", "Integration")]
public sealed class BadInputTests(HoardServerFixture server)
{
    private TroveClient Client => server.Client;

    public static TheoryData<string, string, int, string> BadCreateBodies()
    {
        var data = new TheoryData<string, string, int, string>
        {
            { "malformed JSON", """{"instance": {"name": "x", """, 400, "badRequest" },
            { "body is an array", "[]", 400, "badRequest" },
            { "body is a string", "\"instance\"", 400, "badRequest" },
            { "body is a number", "42", 400, "badRequest" },
            { "no instance object", """{"server":{}}""", 400, "badRequest" },
            { "instance is not an object", """{"instance":"x"}""", 400, "badRequest" },
            { "JSON nested too deeply", """{"instance":""" + new string('[', 200) + new string(']', 200) + "}", 400, "badRequest" },
        };
        Add("name missing", i => i.Remove("name"), 400, "badRequest");
        Add("name empty", i => i["name"] = "", 400, "badRequest");
        Add("name of 300 characters", i => i["name"] = new string('n', 300), 400, "badRequest");
        Add("name without a letter or digit", i => i["name"] = "---", 400, "badRequest");
        Add("name not a string", i => i["name"] = 7, 400, "badRequest");
        Add("flavorRef missing", i => i.Remove("flavorRef"), 400, "badRequest");
        Add("flavorRef unknown", i => i["flavorRef"] = "999", 404, "itemNotFound");
        Add("datastore unknown", i => i["datastore"] = new JsonObject { ["type"] = "nosuchdb", ["version"] = "1" }, 404, "itemNotFound");
        Add("datastore version unknown", i => i["datastore"] = new JsonObject { ["type"] = "mariadb", ["version"] = "99.9" }, 404, "itemNotFound");
        Add("volume missing", i => i.Remove("volume"), 400, "badRequest");
        Add("volume without size", i => i["volume"] = new JsonObject(), 400, "badRequest");
        Add("volume size 0", i => i["volume"] = new JsonObject { ["size"] = 0 }, 400, "badRequest");
        Add("volume size -1", i => i["volume"] = new JsonObject { ["size"] = -1 }, 400, "badRequest");
        Add("volume size \"abc\"", i => i["volume"] = new JsonObject { ["size"] = "abc" }, 400, "badRequest");
        Add("volume size 1.5", i => i["volume"] = new JsonObject { ["size"] = 1.5 }, 400, "badRequest");
        Add("volume over the maximum", i => i["volume"] = new JsonObject { ["size"] = 101 }, 413, "overLimit");
        Add("volume far beyond any integer", i => i["volume"] = new JsonObject { ["size"] = 99999999999 }, 413, "overLimit");
        foreach (var (label, name) in new[]
                 {
                     ("quote", "sh'op"), ("double quote", "sh\"op"), ("backtick", "sh`op"), ("semicolon", "shop;drop"),
                     ("percent", "sh%op"), ("backslash", "sh\\op"), ("65 characters", new string('d', 65)), ("reserved", "mysql"),
                 })
        {
            Add($"database name with {label}", i => i["databases"] = new JsonArray(new JsonObject { ["name"] = name }), 400, "badRequest");
        }

        Add("database listed twice", i => i["databases"] = new JsonArray(new JsonObject { ["name"] = "shop" }, new JsonObject { ["name"] = "shop" }),
            400, "badRequest");
        Add("database without a name", i => i["databases"] = new JsonArray(new JsonObject { ["character_set"] = "utf8mb4" }), 400, "badRequest");
        Add("user granted a database not being created", i => i["users"]![0]!["databases"] = new JsonArray(new JsonObject { ["name"] = "other" }),
            400, "badRequest");
        Add("user granted a database named by a number", i => i["users"]![0]!["databases"] = new JsonArray(new JsonObject { ["name"] = 5 }),
            400, "badRequest");
        Add("user granted a database as a bare string", i => i["users"]![0]!["databases"] = new JsonArray("shop"), 400, "badRequest");
        Add("user named root", i => i["users"]![0]!["name"] = "root", 400, "badRequest");
        Add("user password with a quote", i => i["users"]![0]!["password"] = "pa'ss", 400, "badRequest");
        Add("user without a password", i => i["users"]![0]!.AsObject().Remove("password"), 400, "badRequest");
        Add("user listed twice", i => i["users"] = new JsonArray(
            new JsonObject { ["name"] = "app", ["password"] = "pw1" }, new JsonObject { ["name"] = "app", ["password"] = "pw2" }), 400, "badRequest");
        Add("replica_of with a flavor", i => i["replica_of"] = Guid.NewGuid().ToString(), 400, "badRequest");
        Add("replica_count without replica_of", i => i["replica_count"] = 2, 400, "badRequest");
        Add("replica_count of 0", i =>
        {
            i["replica_of"] = Guid.NewGuid().ToString();
            i["replica_count"] = 0;
        }, 400, "badRequest");
        return data;

        void Add(string label, Action<JsonObject> spoil, int code, string fault)
        {
            var body = TroveClient.InstanceBody("bad-input");
            spoil(body["instance"]!.AsObject());
            data.Add(label, body.ToJsonString(), code, fault);
        }
    }

    [Theory]
    [MemberData(nameof(BadCreateBodies))]
    public async Task CreateInstance_WithBadInput_IsRefusedAndCreatesNothing(string label, string body, int code, string fault)
    {
        var before = await InstanceIdsAsync();

        var response = await Client.PostAsync(server.Admin, "instances", body);

        Assert.True(response.Status != 500, $"{label}: 500 for bad input: {response}\n{server.ServerLog}");
        AuthTests.AssertFault(response, code, fault);
        var created = (await InstanceIdsAsync()).Except(before).ToList();
        Assert.True(created.Count == 0, $"{label}: refused with {response.Status} but created {string.Join(", ", created)}");
    }

    [Fact]
    public async Task CreateInstance_ValidBodyUsedByTheBadInputCases_IsAccepted()
    {
        // The bad bodies differ from this one by one spoiled field, so each refusal is about that field.
        var request = TroveClient.InstanceBody("bad-input");
        request["instance"]!["name"] = "baseline";
        var created = await Client.CreateInstanceAsync(server.Admin, request);

        Assert.Equal("BUILD", created["status"]!.GetValue<string>());
    }

    public static TheoryData<string, string, string, int, string> BadRequestsOnAnInstance()
    {
        var data = new TheoryData<string, string, string, int, string>();
        foreach (var name in new[] { "sh'op", "sh`op", "shop;drop", "sh%op", new string('d', 65), "information_schema" })
        {
            data.Add("POST", "databases", new JsonObject { ["databases"] = new JsonArray(new JsonObject { ["name"] = name }) }.ToJsonString(), 400, "badRequest");
        }

        data.Add("POST", "databases", """{"databases":[]}""", 400, "badRequest");
        data.Add("POST", "databases", """{"databases":[{"name":"shop"}]}""", 400, "badRequest");
        data.Add("POST", "databases", "{not json", 400, "badRequest");
        data.Add("POST", "users", """{"users":[{"name":"root","password":"Pw-12345"}]}""", 400, "badRequest");
        data.Add("POST", "users", """{"users":[{"name":"eve","password":"it's"}]}""", 400, "badRequest");
        data.Add("POST", "users", """{"users":[{"name":"app","password":"Pw-12345"}]}""", 400, "badRequest");
        data.Add("PUT", "users/app/databases", """{"databases":[{"name":5}]}""", 400, "badRequest");
        data.Add("PUT", "users/app/databases", """{"databases":["shop"]}""", 400, "badRequest");
        data.Add("PUT", "users/app/databases", """{"databases":[{"name":"sh'op"}]}""", 400, "badRequest");
        data.Add("POST", "action", """{"explode":{}}""", 400, "badRequest");
        data.Add("POST", "action", """{}""", 400, "badRequest");
        data.Add("POST", "action", """{"restart":{},"explode":{}}""", 400, "badRequest");
        data.Add("POST", "action", """{"resize":{"flavorRef":"1"}}""", 400, "badRequest");
        data.Add("POST", "action", """{"resize":{"flavorRef":"nosuchflavor"}}""", 404, "itemNotFound");
        data.Add("POST", "action", """{"resize":{"volume":{"size":1}}}""", 400, "badRequest");
        data.Add("POST", "action", """{"resize":{"volume":{"size":100000}}}""", 413, "overLimit");
        data.Add("POST", "action", """{"resize":{"promote_to_replica_source":{}}}""", 400, "badRequest");
        data.Add("PUT", "", """{"instance":{"name":""}}""", 400, "badRequest");
        data.Add("PUT", "", """{"instance":{"flavor":"2"}}""", 400, "badRequest");
        data.Add("GET", "databases/shop", "", 501, "notImplemented");
        data.Add("DELETE", "databases/nosuchdb", "", 404, "itemNotFound");
        data.Add("DELETE", "users/nosuchuser", "", 404, "itemNotFound");
        data.Add("DELETE", "root", "", 404, "itemNotFound");
        return data;
    }

    [Theory]
    [MemberData(nameof(BadRequestsOnAnInstance))]
    public async Task RequestOnAnInstance_WithBadInput_IsRefusedAndChangesNothing(string method, string path, string body, int code, string fault)
    {
        var shared = await server.GetSharedInstanceAsync();
        var relative = $"instances/{shared.Id}" + (path.Length > 0 ? "/" + path : "");
        var before = await StateAsync(shared.Id);

        var response = await Client.SendAsync(new HttpMethod(method), TroveClient.ProjectPath(server.Admin, relative), server.Admin.Token,
            body.Length > 0 ? body : null);

        Assert.True(response.Status != 500, $"500 for bad input: {response}\n{server.ServerLog}");
        AuthTests.AssertFault(response, code, fault);
        Assert.Equal(before, await StateAsync(shared.Id));
    }

    private async Task<HashSet<string>> InstanceIdsAsync() =>
        [.. (await Client.ListInstancesAsync(server.Admin)).Select(i => i["id"]!.GetValue<string>())];

    /// <summary>What a bad request must not change: name, status, databases, users.</summary>
    private async Task<string> StateAsync(string id)
    {
        var instance = TroveClient.Expect(await Client.GetAsync(server.Admin, $"instances/{id}"), 200).Object["instance"]!;
        var databases = TroveClient.Expect(await Client.GetAsync(server.Admin, $"instances/{id}/databases"), 200).Object["databases"]!;
        var users = TroveClient.Expect(await Client.GetAsync(server.Admin, $"instances/{id}/users"), 200).Object["users"]!;
        return $"{instance["name"]} {instance["status"]} {instance["operating_status"]} {databases.ToJsonString()} {users.ToJsonString()}";
    }
}

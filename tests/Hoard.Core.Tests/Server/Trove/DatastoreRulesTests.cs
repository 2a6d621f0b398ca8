using System.Text.Json.Nodes;
using Hoard.Contracts.Guest;
using Hoard.Server.Trove;

namespace Hoard.Core.Tests.Server.Trove;

/// <summary>The MariaDB rules as shipped: what the API accepts and refuses before anything reaches a guest.</summary>
public class DatastoreRulesTests
{
    private readonly DatastoreRules _rules = new(ShippedDatastores.MariaDb);

    [Theory]
    [InlineData("shop")]
    [InlineData("my_db")]
    [InlineData("db-2")]
    [InlineData("Shop2024")]
    public void DatabaseName_Valid_IsAccepted(string name) => Assert.Equal(name, _rules.DatabaseName(name));

    [Theory]
    [InlineData("a'b")]
    [InlineData("a\"b")]
    [InlineData("a`b")]
    [InlineData("a;b")]
    [InlineData("a%b")]
    [InlineData("a\\b")]
    [InlineData("a/b")]
    [InlineData(" shop")]
    [InlineData("")]
    [InlineData(null)]
    public void DatabaseName_WithForbiddenCharactersOrEmpty_IsBadRequest(string? name) => AssertBadRequest(() => _rules.DatabaseName(name));

    [Fact]
    public void DatabaseName_AtTheLengthLimit_IsAcceptedAndOneLongerIsNot()
    {
        Assert.Equal(new string('d', 64), _rules.DatabaseName(new string('d', 64)));
        AssertBadRequest(() => _rules.DatabaseName(new string('d', 65)));
    }

    [Theory]
    [InlineData("mysql")]
    [InlineData("MySQL")]
    [InlineData("information_schema")]
    [InlineData("performance_schema")]
    [InlineData("sys")]
    public void DatabaseName_Reserved_IsBadRequestWhateverItsCase(string name)
    {
        var fault = AssertBadRequest(() => _rules.DatabaseName(name));
        Assert.Contains("reserved", fault.Message);
    }

    [Theory]
    [InlineData("root")]
    [InlineData("ROOT")]
    [InlineData("os_admin")]
    [InlineData("mariadb.sys")]
    public void UserName_Reserved_IsBadRequest(string name) => AssertBadRequest(() => _rules.UserName(name));

    [Theory]
    [InlineData("app'")]
    [InlineData("a`pp")]
    [InlineData("a;pp")]
    [InlineData(" app")]
    [InlineData("")]
    public void UserName_Invalid_IsBadRequest(string name) => AssertBadRequest(() => _rules.UserName(name));

    [Fact]
    public void UserName_AtTheLengthLimit_IsAcceptedAndOneLongerIsNot()
    {
        Assert.Equal(new string('u', 80), _rules.UserName(new string('u', 80)));
        AssertBadRequest(() => _rules.UserName(new string('u', 81)));
    }

    [Theory]
    [InlineData("it's")]
    [InlineData("say \"hi\"")]
    [InlineData("back`tick")]
    [InlineData("semi;colon")]
    [InlineData("back\\slash")]
    [InlineData(" leading")]
    [InlineData("trailing ")]
    [InlineData("")]
    public void Password_Unsafe_IsBadRequest(string password) => AssertBadRequest(() => _rules.Password(password));

    [Fact]
    public void Password_Plain_IsAccepted() => Assert.Equal("Secr3t-Pass_word!", _rules.Password("Secr3t-Pass_word!"));

    [Theory]
    [InlineData(null, "%")]
    [InlineData("%", "%")]
    [InlineData("localhost", "localhost")]
    [InlineData("10.0.0.5", "10.0.0.5")]
    [InlineData("192.168.1.%", "192.168.1.%")]
    public void Host_Valid_IsAccepted(string? host, string expected) => Assert.Equal(expected, _rules.Host(host));

    [Theory]
    [InlineData("evil'host")]
    [InlineData("a;b")]
    [InlineData("not-an-ip")]
    [InlineData("999.1.1.1")]
    public void Host_Invalid_IsBadRequest(string host) => AssertBadRequest(() => _rules.Host(host));

    [Fact]
    public void Database_WithMatchingCharacterSetAndCollation_IsAccepted() =>
        Assert.Equal(new DatabaseSpec("shop", "utf8mb4", "utf8mb4_bin"),
            _rules.Database(Obj("""{"name":"shop","character_set":"utf8mb4","collate":"utf8mb4_bin"}"""), "db"));

    [Theory]
    [InlineData("""{"name":"shop","character_set":"klingon"}""")]
    [InlineData("""{"name":"shop","collate":"klingon_ci"}""")]
    [InlineData("""{"name":"shop","character_set":"latin1","collate":"utf8mb4_bin"}""")]
    [InlineData("""{"name":"shop","owner":"me"}""")]
    [InlineData("""{"character_set":"utf8mb4"}""")]
    public void Database_WithBadAttributes_IsBadRequest(string json) => AssertBadRequest(() => _rules.Database(Obj(json), "db"));

    [Fact]
    public void Databases_ListedTwice_IsBadRequest()
    {
        var fault = AssertBadRequest(() => _rules.Databases(Arr("""[{"name":"shop"},{"name":"shop"}]"""), "databases"));
        Assert.Contains("shop", fault.Message);
    }

    [Fact]
    public void Users_Valid_DefaultToAnyHost()
    {
        var users = _rules.Users(Arr("""[{"name":"app","password":"pw1","databases":[{"name":"shop"}]}]"""), "users", ["shop"]);

        var user = Assert.Single(users);
        Assert.Equal(("app", "pw1", "%"), (user.Name, user.Password, user.Host));
        Assert.Equal(["shop"], user.Databases!);
    }

    [Fact]
    public void Users_GrantedADatabaseNotBeingCreated_IsBadRequest()
    {
        var fault = AssertBadRequest(() =>
            _rules.Users(Arr("""[{"name":"app","password":"pw1","databases":[{"name":"other"}]}]"""), "users", ["shop"]));
        Assert.Contains("other", fault.Message);
    }

    [Theory]
    [InlineData("""[{"name":"app","password":"pw1"},{"name":"app","password":"pw2"}]""")]
    [InlineData("""[{"name":"app"}]""")]
    [InlineData("""[{"name":"root","password":"pw1"}]""")]
    [InlineData("""[{"name":"app","password":"pw'1"}]""")]
    [InlineData("""[{"name":"app","password":"pw1","host":"evil'host"}]""")]
    [InlineData("""[{"name":"app","password":"pw1","admin":true}]""")]
    [InlineData("""["app"]""")]
    [InlineData("""[{"name":"app","password":"pw1","databases":[{"name":5}]}]""")]
    [InlineData("""[{"name":"app","password":"pw1","databases":["shop"]}]""")]
    [InlineData("""[{"name":"app","password":"pw1","databases":[{}]}]""")]
    public void Users_Invalid_IsBadRequest(string json) => AssertBadRequest(() => _rules.Users(Arr(json), "users", null));

    [Fact]
    public void Users_SameNameOnDifferentHosts_AreDistinct() =>
        Assert.Equal(2, _rules.Users(Arr("""[{"name":"app","password":"pw1"},{"name":"app","password":"pw2","host":"10.0.0.1"}]"""), "users", null).Count);

    [Theory]
    [InlineData("""{"name":"shop"}""", "shop")]
    [InlineData("""{"name":"my_db"}""", "my_db")]
    public void DatabaseRef_NameObject_IsTheName(string json, string expected) =>
        Assert.Equal(expected, _rules.DatabaseRef(JsonNode.Parse(json), "databases[0]"));

    [Theory]
    [InlineData("""{"name":5}""")]
    [InlineData("""{"name":null}""")]
    [InlineData("""{}""")]
    [InlineData("""{"name":"sh'op"}""")]
    [InlineData("""["shop"]""")]
    [InlineData("""5""")]
    [InlineData(null)]
    public void DatabaseRef_NotANameObject_IsBadRequest(string? json) =>
        AssertBadRequest(() => _rules.DatabaseRef(json is null ? null : JsonNode.Parse(json), "databases[0]"));

    [Theory]
    [InlineData("app", null, "app", "%")]
    [InlineData("app", "10.0.0.1", "app", "10.0.0.1")]
    [InlineData("app@10.0.0.%25", null, "app", "10.0.0.%")]
    [InlineData("app%4010.0.0.1", null, "app", "10.0.0.1")]
    public void UserRef_SplitsNameAndHostOnTheLastAt(string raw, string? hostQuery, string name, string host) =>
        Assert.Equal(new UserRef(name, host), _rules.UserRef(raw, hostQuery));

    private static TroveFault AssertBadRequest(Func<object?> action)
    {
        var fault = Assert.Throws<TroveFault>(action);
        Assert.Equal((400, "badRequest"), (fault.Code, fault.Name));
        return fault;
    }

    private static JsonObject Obj(string json) => (JsonObject)JsonNode.Parse(json)!;

    private static JsonArray Arr(string json) => (JsonArray)JsonNode.Parse(json)!;
}

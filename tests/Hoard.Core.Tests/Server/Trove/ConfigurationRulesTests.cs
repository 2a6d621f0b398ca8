using System.Text.Json.Nodes;
using Hoard.Core.Catalog;
using Hoard.Server.Trove;

namespace Hoard.Core.Tests.Server.Trove;

/// <summary>What a configuration group may hold, how its values reach the guest, and whether they fit a flavor.</summary>
public class ConfigurationRulesTests
{
    private static readonly DatastoreVersion Version = new("v1", "ds1", "pg", "15", "15", "postgresql", true,
        new DatastoreCapabilities { BooleanTrue = "on", BooleanFalse = "off" },
        [
            new ConfigurationParameter { Name = "max_connections", Type = "integer", Min = 10, Max = 1000, RestartRequired = true },
            new ConfigurationParameter { Name = "shared_buffers", Type = "integer", Min = 16, Max = 1048576, Unit = "MB", Suffix = "MB", MaxRamFraction = 0.5, RestartRequired = true },
            new ConfigurationParameter { Name = "work_mem", Type = "integer", Min = 64, Max = 2097151, Unit = "kB", Suffix = "kB" },
            new ConfigurationParameter { Name = "random_page_cost", Type = "float", Min = 0, Max = 100 },
            new ConfigurationParameter { Name = "jit", Type = "boolean" },
            new ConfigurationParameter { Name = "synchronous_commit", Type = "string", AllowedValues = ["on", "off", "local"] },
            new ConfigurationParameter { Name = "timezone", Type = "string" },
        ]);

    private static readonly Flavor Small = new("2", "m1.small", 1024, 1, 10);

    private readonly ConfigurationRules _rules = new(Version);

    [Fact]
    public void Validate_GoodValues_ReturnsThemUnchanged()
    {
        var values = Json("""{"max_connections":200,"work_mem":8192,"random_page_cost":1.1,"jit":false,"synchronous_commit":"local","timezone":"Europe/Paris"}""");
        Assert.Equal(values.ToJsonString(), _rules.Validate(values).ToJsonString());
    }

    [Theory]
    [InlineData("""{"no_such_thing":1}""", "'no_such_thing' is not supported by pg 15")]
    [InlineData("""{"max_connections":"200"}""", "'max_connections' must be an integer, not a string")]
    [InlineData("""{"max_connections":20.5}""", "'max_connections' must be an integer, not a number")]
    [InlineData("""{"max_connections":true}""", "'max_connections' must be an integer, not a boolean")]
    [InlineData("""{"max_connections":5}""", "The value 5 of 'max_connections' is less than its minimum 10")]
    [InlineData("""{"max_connections":1001}""", "The value 1001 of 'max_connections' is greater than its maximum 1000")]
    [InlineData("""{"random_page_cost":"fast"}""", "'random_page_cost' must be a number, not a string")]
    [InlineData("""{"random_page_cost":-0.5}""", "is less than its minimum 0")]
    [InlineData("""{"jit":"on"}""", "'jit' must be a boolean (true or false), not a string")]
    [InlineData("""{"jit":null}""", "'jit' must be a boolean (true or false), not null")]
    [InlineData("""{"synchronous_commit":"sometimes"}""", "'sometimes' of 'synchronous_commit' is not one of: on, off, local")]
    [InlineData("""{"timezone":7}""", "'timezone' must be a string, not a number")]
    [InlineData("""{"timezone":"UTC'; DROP"}""", "without quotes, backslashes or control characters")]
    [InlineData("""{"timezone":"a\nb"}""", "without quotes, backslashes or control characters")]
    [InlineData("""{"timezone":""}""", "must be 1 to 1024 characters")]
    public void Validate_BadValue_Is422NamingTheParameter(string json, string message)
    {
        var fault = Assert.Throws<TroveFault>(() => _rules.Validate(Json(json)));
        Assert.Equal(422, fault.Code);
        Assert.Equal("unprocessableEntity", fault.Name);
        Assert.Contains(message, fault.Message);
    }

    [Fact]
    public void Validate_VersionWithoutParameters_Is422()
    {
        var rules = new ConfigurationRules(Version with { Parameters = [] });
        Assert.Equal(422, Assert.Throws<TroveFault>(() => rules.Validate(Json("""{"jit":true}"""))).Code);
    }

    [Fact]
    public void Render_WritesTheDatastoresSyntax()
    {
        var rendered = _rules.Render(Json("""{"shared_buffers":256,"work_mem":8192,"random_page_cost":1.10,"jit":true,"synchronous_commit":"local"}"""));
        Assert.Equal("256MB", rendered["shared_buffers"]);
        Assert.Equal("8192kB", rendered["work_mem"]);
        Assert.Equal("1.10", rendered["random_page_cost"]);
        Assert.Equal("on", rendered["jit"]);
        Assert.Equal("local", rendered["synchronous_commit"]);
    }

    [Fact]
    public void Render_SkipsParametersNoLongerInTheSchema()
    {
        Assert.Empty(_rules.Render(Json("""{"removed_by_operator":1}""")));
    }

    [Fact]
    public void CheckFits_MemoryWithinTheFlavorsShare_IsAccepted() =>
        _rules.CheckFits(Json("""{"shared_buffers":512,"max_connections":1000}"""), Small);

    [Fact]
    public void CheckFits_MemoryBeyondTheFlavorsShare_Is422WithTheLimit()
    {
        var fault = Assert.Throws<TroveFault>(() => _rules.CheckFits(Json("""{"shared_buffers":513}"""), Small));
        Assert.Equal(422, fault.Code);
        Assert.Contains("'shared_buffers'", fault.Message);
        Assert.Contains("m1.small", fault.Message);
        Assert.Contains("512 MB", fault.Message);
    }

    [Fact]
    public void Digest_IsEmptyForNoOverridesAndStableForTheSameOnes()
    {
        Assert.Equal("", ConfigurationRules.Digest(new Dictionary<string, string>()));
        var a = ConfigurationRules.Digest(new Dictionary<string, string> { ["a"] = "1", ["b"] = "2" });
        var b = ConfigurationRules.Digest(new Dictionary<string, string> { ["b"] = "2", ["a"] = "1" });
        var c = ConfigurationRules.Digest(new Dictionary<string, string> { ["a"] = "1", ["b"] = "3" });
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void RestartRequired_ListsTheStaticParameters() =>
        Assert.Equal(["max_connections", "shared_buffers"], _rules.RestartRequired);

    [Fact]
    public void View_HasTrovesFieldsAndTheClientsColumnNames()
    {
        var view = ConfigurationRules.View(Version.Parameters[0], "v1");
        Assert.Equal("max_connections", (string?)view["name"]);
        Assert.Equal("v1", (string?)view["datastore_version_id"]);
        Assert.True((bool?)view["restart_required"]);
        Assert.Equal("integer", (string?)view["type"]);
        Assert.Equal(10m, (decimal?)view["min"]);
        Assert.Equal(1000m, (decimal?)view["max_size"]);
    }

    private static JsonObject Json(string text) => (JsonObject)JsonNode.Parse(text)!;
}

using System.Text;
using System.Text.Json.Nodes;
using Hoard.Server.Trove;
using Microsoft.AspNetCore.Http;

namespace Hoard.Core.Tests.Server.Trove;

public class BodyTests
{
    [Theory]
    [InlineData("{\"instance\": ")]
    [InlineData("not json")]
    [InlineData("")]
    public async Task ReadAsync_Malformed_IsBadRequest(string text)
    {
        var fault = await Assert.ThrowsAsync<TroveFault>(() => Body.ReadAsync(Request(text), default));
        Assert.Equal((400, "badRequest"), (fault.Code, fault.Name));
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("\"instance\"")]
    [InlineData("42")]
    [InlineData("null")]
    public async Task ReadAsync_NotAnObject_IsAValidationError(string text)
    {
        var fault = await Assert.ThrowsAsync<TroveFault>(() => Body.ReadAsync(Request(text), default));
        Assert.Equal(400, fault.Code);
        Assert.StartsWith("Validation error:", fault.Message);
    }

    [Fact]
    public async Task ReadAsync_Object_IsReturned() =>
        Assert.Equal("x", (await Body.ReadAsync(Request("""{"instance":{"name":"x"}}"""), default))["instance"]!["name"]!.GetValue<string>());

    [Theory]
    [InlineData("""{}""")]
    [InlineData("""{"instance":[]}""")]
    [InlineData("""{"instance":"x"}""")]
    public void Wrapper_MissingOrNotAnObject_IsBadRequest(string json) => AssertBadRequest(() => Body.Wrapper(Obj(json), "instance"));

    [Theory]
    [InlineData("""{}""")]
    [InlineData("""{"name":""}""")]
    [InlineData("""{"name":42}""")]
    [InlineData("""{"name":null}""")]
    [InlineData("""{"name":"---"}""")]
    public void NonEmptyName_Invalid_IsBadRequest(string json) => AssertBadRequest(() => Body.NonEmptyName(Obj(json), "name", "instance"));

    [Fact]
    public void NonEmptyName_UpTo255Characters_IsAccepted()
    {
        Assert.Equal(new string('n', 255), Body.NonEmptyName(new JsonObject { ["name"] = new string('n', 255) }, "name", "instance"));
        AssertBadRequest(() => Body.NonEmptyName(new JsonObject { ["name"] = new string('n', 256) }, "name", "instance"));
    }

    [Theory]
    [InlineData("""{"flavorRef":"2"}""", "2")]
    [InlineData("""{"flavorRef":2}""", "2")]
    [InlineData("""{"flavorRef":"https://h/v1.0/p/flavors/3"}""", "3")]
    [InlineData("""{"flavorRef":"https://h/v1.0/p/flavors/3/"}""", "3")]
    public void Reference_StringIntegerOrHref_IsTheId(string json, string expected) =>
        Assert.Equal(expected, Body.Reference(Obj(json), "flavorRef", "instance"));

    [Theory]
    [InlineData("""{"flavorRef":""}""")]
    [InlineData("""{"flavorRef":"/"}""")]
    [InlineData("""{"flavorRef":true}""")]
    [InlineData("""{"flavorRef":1.5}""")]
    [InlineData("""{"flavorRef":{}}""")]
    public void Reference_Invalid_IsBadRequest(string json) => AssertBadRequest(() => Body.Reference(Obj(json), "flavorRef", "instance"));

    [Fact]
    public void Reference_RequiredButMissing_IsBadRequest() => AssertBadRequest(() => Body.Reference(Obj("{}"), "flavorRef", "instance", required: true));

    [Theory]
    [InlineData("""{"size":1}""", 1)]
    [InlineData("""{"size":"5"}""", 5)]
    [InlineData("""{"size":100}""", 100)]
    public void PositiveInteger_IntegerOrDigits_IsAccepted(string json, int expected) =>
        Assert.Equal(expected, Body.PositiveInteger(Obj(json), "size", "volume"));

    [Theory]
    [InlineData("""{"size":99999999999}""")]
    [InlineData("""{"size":"99999999999999999999999"}""")]
    [InlineData("""{"size":1e30}""")]
    public void PositiveInteger_BeyondIntRange_IsTheLargestSize(string json) =>
        Assert.Equal(int.MaxValue, Body.PositiveInteger(Obj(json), "size", "volume"));

    [Theory]
    [InlineData("""{"size":0}""")]
    [InlineData("""{"size":-1}""")]
    [InlineData("""{"size":"abc"}""")]
    [InlineData("""{"size":"-1"}""")]
    [InlineData("""{"size":" 5"}""")]
    [InlineData("""{"size":""}""")]
    [InlineData("""{"size":1.5}""")]
    [InlineData("""{"size":true}""")]
    [InlineData("""{"size":null}""")]
    [InlineData("""{}""")]
    public void PositiveInteger_Invalid_IsBadRequest(string json) => AssertBadRequest(() => Body.PositiveInteger(Obj(json), "size", "volume"));

    [Fact]
    public void OnlyKeys_UnexpectedProperty_IsBadRequestNamingIt()
    {
        var fault = AssertBadRequest(() =>
        {
            Body.OnlyKeys(Obj("""{"name":"x","colour":"red"}"""), "instance", "name");
            return null;
        });
        Assert.Contains("colour", fault.Message);
    }

    [Theory]
    [InlineData("""{"is_public":"yes"}""")]
    [InlineData("""{"is_public":1}""")]
    public void Boolean_NotABoolean_IsBadRequest(string json) => AssertBadRequest(() => Body.Boolean(Obj(json), "is_public", "access"));

    private static HttpRequest Request(string body)
    {
        var context = new DefaultHttpContext();
        context.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes(body));
        context.Request.ContentType = "application/json";
        return context.Request;
    }

    private static TroveFault AssertBadRequest(Func<object?> action)
    {
        var fault = Assert.Throws<TroveFault>(action);
        Assert.Equal((400, "badRequest"), (fault.Code, fault.Name));
        return fault;
    }

    private static JsonObject Obj(string json) => (JsonObject)JsonNode.Parse(json)!;
}

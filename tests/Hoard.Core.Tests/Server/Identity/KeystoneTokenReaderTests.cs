using System.Text.Json.Nodes;
using Hoard.Server.Identity;

namespace Hoard.Core.Tests.Server.Identity;

/// <summary>Keystone's token body becomes the caller the policy knows, with Keystone's implied roles.</summary>
public sealed class KeystoneTokenReaderTests
{
    [Theory]
    [InlineData("admin", "admin,member,reader")]
    [InlineData("member", "member,reader")]
    [InlineData("Member", "member,reader")]
    [InlineData("reader", "reader")]
    [InlineData("service,load-balancer_member", "")]
    [InlineData("reader,member", "member,reader")]
    public void Roles_AreMappedWithTheirImpliedRoles(string given, string expected)
    {
        var info = KeystoneTokenReader.Read(Token(given.Split(',')));

        Assert.Equal(expected.Length == 0 ? [] : expected.Split(','), info!.Roles);
    }

    [Fact]
    public void UserProjectTimesAndApplicationCredential_AreRead()
    {
        var body = Token(["member"]);
        body["token"]!["application_credential"] = new JsonObject { ["id"] = "ac1", ["name"] = "ci", ["restricted"] = true };

        var info = KeystoneTokenReader.Read(body)!;

        Assert.Equal(("u1", "alice", "p1", "team"), (info.UserId, info.UserName, info.ProjectId, info.ProjectName));
        Assert.Equal(new DateTimeOffset(2030, 1, 1, 12, 0, 0, TimeSpan.Zero), info.ExpiresAt);
        Assert.Equal("ac1", info.ApplicationCredential!.Id);
        Assert.False(info.MayManageApplicationCredentials);
    }

    [Fact]
    public void ATokenWithoutAProject_IsNotACaller()
    {
        var body = Token(["admin"]);
        body["token"]!.AsObject().Remove("project");
        body["token"]!["system"] = new JsonObject { ["all"] = true };

        Assert.Null(KeystoneTokenReader.Read(body));
        Assert.Null(KeystoneTokenReader.Read(JsonNode.Parse("""{"error":{"code":404}}""")));
    }

    private static JsonObject Token(string[] roles) => new()
    {
        ["token"] = new JsonObject
        {
            ["methods"] = new JsonArray("password"),
            ["user"] = new JsonObject { ["id"] = "u1", ["name"] = "alice" },
            ["project"] = new JsonObject { ["id"] = "p1", ["name"] = "team" },
            ["roles"] = new JsonArray([.. roles.Select(r => (JsonNode)new JsonObject { ["id"] = "id-" + r, ["name"] = r })]),
            ["issued_at"] = "2030-01-01T11:00:00.000000Z",
            ["expires_at"] = "2030-01-01T12:00:00.000000Z",
        },
    };
}

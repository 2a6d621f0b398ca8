using Hoard.IntegrationTests.Infrastructure;

namespace Hoard.IntegrationTests;

/// <summary>A user of another project can neither see nor touch this project's instances.</summary>
[Collection(HoardServerCollection.Name)]
[Trait("Category", "Integration")]
public sealed class IsolationTests(HoardServerFixture server)
{
    private TroveClient Client => server.Client;

    [Fact]
    public async Task OtherProject_ListsNoneOfThisProjectsInstances()
    {
        var shared = await server.GetSharedInstanceAsync();

        var mine = await Client.ListInstancesAsync(server.Admin);
        var theirs = TroveClient.Expect(await Client.GetAsync(server.Other, "instances"), 200);
        var theirDetail = TroveClient.Expect(await Client.GetAsync(server.Other, "instances/detail"), 200);

        Assert.Contains(mine, i => i["id"]!.GetValue<string>() == shared.Id);
        Assert.Empty(theirs.Object["instances"]!.AsArray());
        Assert.Empty(theirDetail.Object["instances"]!.AsArray());
    }

    [Theory]
    [InlineData("GET", "")]
    [InlineData("DELETE", "")]
    [InlineData("PUT", "", """{"instance":{"name":"stolen"}}""")]
    [InlineData("POST", "/action", """{"restart":{}}""")]
    [InlineData("GET", "/databases")]
    [InlineData("POST", "/databases", """{"databases":[{"name":"intruder"}]}""")]
    [InlineData("DELETE", "/databases/shop")]
    [InlineData("GET", "/users")]
    [InlineData("POST", "/users", """{"users":[{"name":"intruder","password":"Pw-12345"}]}""")]
    [InlineData("GET", "/users/app")]
    [InlineData("DELETE", "/users/app")]
    [InlineData("PUT", "/users/app", """{"user":{"password":"Pw-12345"}}""")]
    [InlineData("GET", "/root")]
    [InlineData("POST", "/root")]
    public async Task OtherProject_GetsNotFoundForThisProjectsInstance_AndChangesNothing(string method, string path, string? body = null)
    {
        var shared = await server.GetSharedInstanceAsync();
        var before = await StateAsync(shared.Id);

        var response = await Client.SendAsync(new HttpMethod(method), TroveClient.ProjectPath(server.Other, $"instances/{shared.Id}{path}"),
            server.Other.Token, body);

        AuthTests.AssertFault(response, 404, "itemNotFound");
        Assert.Equal(before, await StateAsync(shared.Id));
        await MariaDbClient.QueryOkAsync(shared.Ip, "app", SharedInstance.AppPassword, "shop", "SELECT 1");
    }

    /// <summary>reset_status is admin-only: a non-admin is refused before the instance is looked up, so the refusal is
    /// the same whether it exists or not (docs/policy.md), and nothing changes.</summary>
    [Fact]
    public async Task OtherProject_ResetStatus_IsRefusedAsNotAdmin_AndChangesNothing()
    {
        var shared = await server.GetSharedInstanceAsync();
        var before = await StateAsync(shared.Id);

        var response = await Client.SendAsync(HttpMethod.Post, TroveClient.ProjectPath(server.Other, $"instances/{shared.Id}/action"),
            server.Other.Token, """{"reset_status":{}}""");

        AuthTests.AssertFault(response, 401, "unauthorized");
        Assert.Equal(before, await StateAsync(shared.Id));
    }

    [Fact]
    public async Task OtherProjectsToken_OnThisProjectsPath_Is403()
    {
        var shared = await server.GetSharedInstanceAsync();

        var response = await Client.SendAsync(HttpMethod.Delete, TroveClient.ProjectPath(server.Admin, $"instances/{shared.Id}"), server.Other.Token);

        AuthTests.AssertFault(response, 403, "forbidden");
        Assert.Equal("ACTIVE", (await StateAsync(shared.Id)).Split(' ')[1]);
    }

    private async Task<string> StateAsync(string id)
    {
        var instance = TroveClient.Expect(await Client.GetAsync(server.Admin, $"instances/{id}"), 200).Object["instance"]!;
        var databases = TroveClient.Expect(await Client.GetAsync(server.Admin, $"instances/{id}/databases"), 200).Object["databases"]!;
        var users = TroveClient.Expect(await Client.GetAsync(server.Admin, $"instances/{id}/users"), 200).Object["users"]!;
        return $"{instance["name"]} {instance["status"]} {databases.ToJsonString()} {users.ToJsonString()}";
    }
}

using Hoard.IntegrationTests.Infrastructure;

namespace Hoard.IntegrationTests;

/// <summary>A reader sees the project's instances but can change nothing.</summary>
[Collection(HoardServerCollection.Name)]
[Trait("Category", "Integration")]
public sealed class ReaderPolicyTests(HoardServerFixture server)
{
    private TroveClient Client => server.Client;

    [Fact]
    public async Task Reader_CanReadButNotChange()
    {
        var shared = await server.GetSharedInstanceAsync();
        var reader = server.Reader;

        TroveClient.Expect(await Client.GetAsync(reader, $"instances/{shared.Id}"), 200);
        TroveClient.Expect(await Client.GetAsync(reader, $"instances/{shared.Id}/databases"), 200);

        var attempts = new (string What, Func<Task<ApiResponse>> Call)[]
        {
            ("create an instance", () => Client.PostAsync(reader, "instances", TroveClient.InstanceBody("by-reader").ToJsonString())),
            ("create a database", () => Client.PostAsync(reader, $"instances/{shared.Id}/databases", """{"databases":[{"name":"nope"}]}""")),
            ("delete a database", () => Client.DeleteAsync(reader, $"instances/{shared.Id}/databases/shop")),
            ("create a user", () => Client.PostAsync(reader, $"instances/{shared.Id}/users", """{"users":[{"name":"nope","password":"Nope-1"}]}""")),
            ("delete a user", () => Client.DeleteAsync(reader, $"instances/{shared.Id}/users/app")),
            ("enable root", () => Client.PostAsync(reader, $"instances/{shared.Id}/root", null)),
            ("restart", () => Client.PostAsync(reader, $"instances/{shared.Id}/action", """{"restart":{}}""")),
            ("rename", () => Client.PutAsync(reader, $"instances/{shared.Id}", """{"instance":{"name":"renamed"}}""")),
            ("delete the instance", () => Client.DeleteAsync(reader, $"instances/{shared.Id}")),
        };
        foreach (var (what, call) in attempts)
        {
            var response = await call();
            Assert.True(response.Status == 403 && response.Text.Contains("\"forbidden\"", StringComparison.Ordinal),
                $"a reader could {what}: {response}");
        }

        var databases = await Client.GetAsync(server.Admin, $"instances/{shared.Id}/databases");
        Assert.Contains("shop", databases.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("nope", databases.Text, StringComparison.Ordinal);
        var users = await Client.GetAsync(server.Admin, $"instances/{shared.Id}/users");
        Assert.Contains("\"app\"", users.Text, StringComparison.Ordinal);
    }
}

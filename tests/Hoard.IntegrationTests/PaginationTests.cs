using Hoard.IntegrationTests.Infrastructure;

namespace Hoard.IntegrationTests;

[Collection(HoardServerCollection.Name)]
[Trait("Category", "Integration")]
public sealed class PaginationTests(HoardServerFixture server)
{
    private TroveClient Client => server.Client;

    [Fact]
    public async Task InstancesPage_OfOne_LinksToTheNextWithAMarker_AndThePagesCoverTheList()
    {
        await server.GetSharedInstanceAsync();
        if ((await Client.ListInstancesAsync(server.Admin)).Count < 2)
        {
            await Client.CreateInstanceAsync(server.Admin, TroveClient.InstanceBody("page-two", database: null, user: null));
        }

        var all = (await Client.ListInstancesAsync(server.Admin)).Select(i => i["id"]!.GetValue<string>()).ToList();
        var first = TroveClient.Expect(await Client.GetAsync(server.Admin, "instances?limit=1"), 200).Object;

        var item = Assert.Single(first["instances"]!.AsArray())!;
        Assert.Equal(all[0], item["id"]!.GetValue<string>());
        var next = Assert.Single(first["links"]!.AsArray())!;
        Assert.Equal("next", next["rel"]!.GetValue<string>());
        var href = new Uri(next["href"]!.GetValue<string>());
        Assert.Contains("limit=1", href.Query);
        Assert.Contains($"marker={all[0]}", href.Query);

        var seen = new List<string>();
        var path = $"instances?limit=1";
        for (var page = 0; page <= all.Count; page++)
        {
            var body = TroveClient.Expect(await Client.GetAsync(server.Admin, path), 200).Object;
            seen.AddRange(body["instances"]!.AsArray().Select(i => i!["id"]!.GetValue<string>()));
            if (body["links"]?.AsArray().FirstOrDefault(l => l!["rel"]!.GetValue<string>() == "next") is not { } link)
            {
                break;
            }

            var uri = new Uri(link["href"]!.GetValue<string>());
            path = uri.PathAndQuery[TroveClient.ProjectPath(server.Admin, "").Length..];
        }

        Assert.Equal(all, seen);
    }

    [Theory]
    [InlineData("instances?limit=0")]
    [InlineData("instances?limit=-3")]
    [InlineData("instances?limit=abc")]
    public async Task InvalidLimit_Is400(string path) =>
        AuthTests.AssertFault(await Client.GetAsync(server.Admin, path), 400, "badRequest");
}

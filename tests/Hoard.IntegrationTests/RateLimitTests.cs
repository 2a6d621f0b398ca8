using Hoard.IntegrationTests.Infrastructure;

namespace Hoard.IntegrationTests;

[Collection(HoardServerCollection.Name)]
[Trait("Category", "Integration")]
public sealed class RateLimitTests(HoardServerFixture server)
{
    [Fact]
    public async Task Limits_ListARateForEveryVerb_AfterTheAbsoluteLimits()
    {
        var limits = TroveClient.Expect(await server.Client.GetAsync(server.Other, "limits"), 200).Object["limits"]!.AsArray();

        Assert.Equal("ABSOLUTE", limits[0]!["verb"]!.GetValue<string>());
        var rates = limits.Skip(1).ToDictionary(l => l!["verb"]!.GetValue<string>(), l => l!.AsObject());
        Assert.Equal(["POST", "PUT", "DELETE", "GET"], rates.Keys);
        foreach (var (verb, rate) in rates)
        {
            Assert.Equal("MINUTE", rate["unit"]!.GetValue<string>());
            Assert.Equal("*", rate["uri"]!.GetValue<string>());
            var value = rate["value"]!.GetValue<int>();
            var remaining = rate["remaining"]!.GetValue<int>();
            Assert.True(value >= 200 && remaining > 0 && remaining <= value, $"{verb}: {rate.ToJsonString()}");
            Assert.True(DateTimeOffset.TryParse(rate["nextAvailable"]!.GetValue<string>(), out _), $"{verb}: {rate.ToJsonString()}");
        }

        Assert.True(rates["GET"]["remaining"]!.GetValue<int>() < rates["GET"]["value"]!.GetValue<int>(), "this GET itself was not counted");
    }
}

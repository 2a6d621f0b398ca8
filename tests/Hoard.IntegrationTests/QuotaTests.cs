using System.Text.Json.Nodes;
using Hoard.IntegrationTests.Infrastructure;

namespace Hoard.IntegrationTests;

/// <summary>
/// Per-project quotas: the admin's <c>/mgmt/quotas</c> API (and the OpenStack client on it), 413 on create, usage.
/// Quota changes are made in the fixture's Other project, and every test puts back the limits it found.
/// </summary>
[Collection(HoardServerCollection.Name)]
[Trait("Category", "Integration")]
public sealed class QuotaTests(HoardServerFixture server)
{
    private TroveClient Client => server.Client;

    private string OtherQuotas => $"mgmt/quotas/{server.Other.ProjectId}";

    [Fact]
    public async Task OpenStackClient_ShowsAndUpdatesAProjectsQuotas()
    {
        var found = await LimitsAsync();
        try
        {
            var shown = await OpenStackOkAsync("database", "quota", "show", server.Other.ProjectId, "-f", "json");
            var rows = JsonNode.Parse(shown)!.AsArray().Select(r => r!.AsObject()).ToList();
            Assert.Equal(["instances", "ram", "volumes", "backups"], rows.Select(r => r["Resource"]!.GetValue<string>()));
            Assert.All(rows, r => Assert.Equal(0, r["Reserved"]!.GetValue<int>()));
            Assert.Equal(found["instances"], Row(rows, "instances")["Limit"]!.GetValue<int>());

            var updated = await OpenStackOkAsync("database", "quota", "update", server.Other.ProjectId, "instances", "7", "-f", "json");
            Assert.Equal(7, JsonNode.Parse(updated)!["instances"]!.GetValue<int>());

            shown = await OpenStackOkAsync("database", "quota", "show", server.Other.ProjectId, "-f", "json");
            Assert.Equal(7, Row(JsonNode.Parse(shown)!.AsArray().Select(r => r!.AsObject()), "instances")["Limit"]!.GetValue<int>());
            Assert.Equal(7, (await LimitsAsync())["instances"]);

            var limits = await OpenStackOkAsync("database", "limit", "list");
            Assert.Contains("max_ram", limits, StringComparison.Ordinal);

            var unknown = await OpenStackAsync("database", "quota", "update", server.Other.ProjectId, "cores", "4");
            Assert.False(unknown.Succeeded, $"an unknown resource was accepted: {unknown}");
        }
        finally
        {
            await RestoreAsync(found);
        }
    }

    [Fact]
    public async Task ProjectAtItsInstanceQuota_Gets413NamingInstances_CreatesNothing_AndUsageDropsAfterDelete()
    {
        var found = await LimitsAsync();
        var before = await UsageAsync(server.Other);
        try
        {
            await SetAsync($$$"""{"quotas":{"instances":{{{before["instances"] + 1}}},"ram":-1,"volumes":-1}}""");
            var id = (await Client.CreateInstanceAsync(server.Other, TroveClient.InstanceBody("quota-one")))["id"]!.GetValue<string>();
            var using1 = await UsageAsync(server.Other);
            Assert.Equal((before["instances"] + 1, before["ram"] + 512, before["volumes"] + 1),
                (using1["instances"], using1["ram"], using1["volumes"]));

            var refused = await Client.PostAsync(server.Other, "instances", TroveClient.InstanceBody("quota-two").ToJsonString());
            TroveClient.Expect(refused, 413);
            Assert.Equal("Quota exceeded for resources: ['instances'].", refused.Object["overLimit"]!["message"]!.GetValue<string>());
            Assert.DoesNotContain(await Client.ListInstancesAsync(server.Other), i => i["name"]!.GetValue<string>() == "quota-two");
            Assert.Equal(using1, await UsageAsync(server.Other));

            var limits = TroveClient.Expect(await Client.GetAsync(server.Other, "limits"), 200).Object["limits"]![0]!;
            Assert.Equal((before["instances"] + 1, -1, -1), (limits["max_instances"]!.GetValue<int>(), limits["max_ram"]!.GetValue<int>(),
                limits["max_volumes"]!.GetValue<int>()));
            Assert.Equal((using1["instances"], using1["ram"], using1["volumes"]), (limits["instances_used"]!.GetValue<int>(),
                limits["ram_used"]!.GetValue<int>(), limits["volumes_used"]!.GetValue<int>()));

            await Client.WaitForActiveAsync(server.Other, id);
            TroveClient.Expect(await Client.DeleteAsync(server.Other, $"instances/{id}"), 202);
            await Client.WaitUntilGoneAsync(server.Other, id);
            Assert.Equal(before, await UsageAsync(server.Other));
        }
        finally
        {
            await RestoreAsync(found);
        }
    }

    [Fact]
    public async Task RamQuota_CountsTheFlavorsRam_AndEveryExceededResourceIsNamed()
    {
        var found = await LimitsAsync();
        var before = await UsageAsync(server.Other);
        try
        {
            // m1.small has 1024 MB: one MB short of room for it.
            await SetAsync($$$"""{"quotas":{"instances":-1,"ram":{{{before["ram"] + 1023}}}}}""");
            var body = TroveClient.InstanceBody("quota-ram");
            body["instance"]!["flavorRef"] = "2";
            var refused = TroveClient.Expect(await Client.PostAsync(server.Other, "instances", body.ToJsonString()), 413);
            Assert.Equal("Quota exceeded for resources: ['ram'].", refused.Object["overLimit"]!["message"]!.GetValue<string>());

            await SetAsync($$$"""{"quotas":{"instances":{{{before["instances"]}}}}}""");
            refused = TroveClient.Expect(await Client.PostAsync(server.Other, "instances", body.ToJsonString()), 413);
            Assert.Equal("Quota exceeded for resources: ['instances', 'ram'].", refused.Object["overLimit"]!["message"]!.GetValue<string>());

            Assert.DoesNotContain(await Client.ListInstancesAsync(server.Other), i => i["name"]!.GetValue<string>() == "quota-ram");
            Assert.Equal(before, await UsageAsync(server.Other));
        }
        finally
        {
            await RestoreAsync(found);
        }
    }

    [Fact]
    public async Task OnlyAnAdminReadsOrUpdatesQuotas_AsTrovesMgmtIsAdminOnly()
    {
        var found = await LimitsAsync();
        foreach (var session in new[] { server.Other, server.Reader })
        {
            var refused = TroveClient.Expect(await Client.PutAsync(session, $"mgmt/quotas/{session.ProjectId}", """{"quotas":{"instances":100}}"""), 401);
            Assert.Equal("User does not have admin privileges.", refused.Object["unauthorized"]!["message"]!.GetValue<string>());
        }

        Assert.Equal(found, await LimitsAsync());
        TroveClient.Expect(await Client.GetAsync(server.Admin, OtherQuotas), 200);
        TroveClient.Expect(await Client.GetAsync(server.Other, OtherQuotas), 401);
        TroveClient.Expect(await Client.GetAsync(server.Reader, $"mgmt/quotas/{server.Reader.ProjectId}"), 401);
        TroveClient.Expect(await Client.GetAsync(server.Other, $"mgmt/quotas/{server.Admin.ProjectId}"), 401);
    }

    [Theory]
    [InlineData("""{"quotas":{"cores":4}}""", 404, "itemNotFound")]
    [InlineData("""{"quotas":{"instances":-2}}""", 400, "badRequest")]
    [InlineData("""{"quotas":{"instances":"many"}}""", 400, "badRequest")]
    [InlineData("""{"quotas":{"instances":2.5}}""", 400, "badRequest")]
    [InlineData("""{"quotas":[]}""", 400, "badRequest")]
    [InlineData("""{"instances":2}""", 400, "badRequest")]
    [InlineData("""not json""", 400, "badRequest")]
    public async Task Update_BadInput_IsAFault_AndChangesNothing(string body, int status, string fault)
    {
        var found = await LimitsAsync();
        var response = TroveClient.Expect(await Client.PutAsync(server.Admin, OtherQuotas, body), status);
        Assert.NotNull(response.Object[fault]?["message"]);
        Assert.Equal(found, await LimitsAsync());
    }

    [Fact]
    public async Task Quotas_OfAnUnknownProject_AreNotFound()
    {
        TroveClient.Expect(await Client.GetAsync(server.Admin, "mgmt/quotas/00000000000000000000000000000000"), 404);
        TroveClient.Expect(await Client.PutAsync(server.Admin, "mgmt/quotas/00000000000000000000000000000000", """{"quotas":{"instances":1}}"""), 404);
    }

    private async Task<Dictionary<string, int>> LimitsAsync() =>
        (await QuotaRowsAsync(server.Admin, server.Other.ProjectId)).ToDictionary(r => r["resource"]!.GetValue<string>(), r => r["limit"]!.GetValue<int>());

    /// <summary>As the admin: /mgmt is admin-only, the project's own members included.</summary>
    private async Task<Dictionary<string, int>> UsageAsync(TroveSession session) =>
        (await QuotaRowsAsync(server.Admin, session.ProjectId)).ToDictionary(r => r["resource"]!.GetValue<string>(), r => r["in_use"]!.GetValue<int>());

    private async Task<List<JsonObject>> QuotaRowsAsync(TroveSession session, string project)
    {
        var response = TroveClient.Expect(await Client.GetAsync(session, $"mgmt/quotas/{project}"), 200);
        return [.. response.Object["quotas"]!.AsArray().Select(r => r!.AsObject())];
    }

    private async Task SetAsync(string body)
    {
        var response = TroveClient.Expect(await Client.PutAsync(server.Admin, OtherQuotas, body), 200);
        var requested = JsonNode.Parse(body)!["quotas"]!.AsObject();
        Assert.Equal(requested.ToJsonString(), response.Object["quotas"]!.ToJsonString());
    }

    private Task RestoreAsync(Dictionary<string, int> limits) =>
        SetAsync(new JsonObject { ["quotas"] = new JsonObject(limits.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))) }.ToJsonString());

    private static JsonObject Row(IEnumerable<JsonObject> rows, string resource) =>
        rows.Single(r => r["Resource"]!.GetValue<string>() == resource);

    private Task<string> OpenStackOkAsync(params string[] arguments) => OpenStackCli.OkAsync(server, arguments);

    private Task<ProcessResult> OpenStackAsync(params string[] arguments) => OpenStackCli.RunAsync(server, arguments);
}

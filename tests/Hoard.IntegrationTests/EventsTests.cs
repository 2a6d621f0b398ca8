using System.Text.Json.Nodes;
using Hoard.IntegrationTests.Infrastructure;

namespace Hoard.IntegrationTests;

[Collection(HoardServerCollection.Name)]
[Trait("Category", "Integration")]
public sealed class EventsTests(HoardServerFixture server)
{
    private TroveClient Client => server.Client;

    private TroveSession Admin => server.Admin;

    [Fact]
    public async Task Events_OfCreateRestartDelete_AppearNewestFirst_AndPageWithMarkers()
    {
        var created = await Client.CreateInstanceAsync(Admin, TroveClient.InstanceBody("eventful", database: null, user: null));
        var id = created["id"]!.GetValue<string>();
        await Client.WaitForActiveAsync(Admin, id);
        TroveClient.Expect(await Client.PostAsync(Admin, $"instances/{id}/action", """{"restart":{}}"""), 202);
        await Client.WaitForActiveAsync(Admin, id);

        var events = await EventsAsync($"instances/{id}/events?limit=1000");
        Assert.All(events, e => Assert.Equal(id, e["instance_id"]!.GetValue<string>()));
        var messages = Messages(events);
        AssertNewestFirst(messages, "restart_instance succeeded", "restart_instance started", "provision_instance succeeded", "provision_instance started");
        Assert.Contains(events, e => e["type"]!.GetValue<string>() == "status" && e["message"]!.GetValue<string>().StartsWith("Service status Healthy", StringComparison.Ordinal));

        var first = await EventsAsync($"instances/{id}/events?limit=2");
        var next = await EventsAsync($"instances/{id}/events?limit=2&marker={Uri.EscapeDataString(first[^1]["id"]!.GetValue<string>())}");
        Assert.Equal(events.Take(4).Select(Id), first.Concat(next).Select(Id));

        TroveClient.Expect(await Client.DeleteAsync(Admin, $"instances/{id}"), 202);
        await Client.WaitUntilGoneAsync(Admin, id);
        AuthTests.AssertFault(await Client.GetAsync(Admin, $"instances/{id}/events"), 404, "itemNotFound");
        var projectWide = (await EventsAsync("events?limit=1000")).Where(e => e["instance_id"]!.GetValue<string>() == id).ToList();
        AssertNewestFirst(Messages(projectWide), "delete_instance succeeded", "delete_instance started", "restart_instance succeeded",
            "provision_instance started");
        Assert.DoesNotContain(await EventsAsync("events?limit=1000", server.Other), e => e["instance_id"]!.GetValue<string>() == id);
    }

    [Fact]
    public async Task Audit_RecordsWhoAskedWithTheRequestId_AndNeverTheBody()
    {
        var password = "Audit-Secret-" + Guid.NewGuid().ToString("N")[..8];
        var body = TroveClient.InstanceBody("audited", password: password);
        body["instance"]!["flavorRef"] = "no-such-flavor";
        var refused = await Client.PostAsync(Admin, "instances", body.ToJsonString());
        Assert.True(refused.Status >= 400, refused.ToString());
        var requestId = refused.Headers.GetValues("x-openstack-request-id").Single();
        var userId = (await Client.RequestTokenAsync("admin", server.AdminPassword, "demo")).Object["token"]!["user"]!["id"]!.GetValue<string>();

        var audit = TroveClient.Expect(await Client.GetAsync(Admin, "mgmt/audit?limit=50"), 200);
        var entry = audit.Object["audit"]!.AsArray().Select(a => a!.AsObject())
            .Single(a => a["request_id"]!.GetValue<string>() == requestId);
        Assert.Equal(userId, entry["user_id"]!.GetValue<string>());
        Assert.Equal(Admin.ProjectId, entry["project_id"]!.GetValue<string>());
        Assert.Equal("POST", entry["method"]!.GetValue<string>());
        Assert.Equal($"/v1.0/{Admin.ProjectId}/instances", entry["path"]!.GetValue<string>());
        Assert.Equal(refused.Status, entry["status"]!.GetValue<int>());
        Assert.DoesNotContain(password, audit.Text);

        Assert.True((await Client.GetAsync(server.Reader, "mgmt/audit")).Status is 401 or 403, "a reader could read the audit log");
    }

    private async Task<List<JsonObject>> EventsAsync(string relative, TroveSession? session = null) =>
        [.. TroveClient.Expect(await Client.GetAsync(session ?? Admin, relative), 200).Object["events"]!.AsArray().Select(e => e!.AsObject())];

    private static string Id(JsonObject e) => e["id"]!.GetValue<string>();

    private static List<string> Messages(List<JsonObject> events) => [.. events.Select(e => e["message"]!.GetValue<string>())];

    /// <summary>Each of <paramref name="expected"/> is among <paramref name="messages"/>, in that order (newest first).</summary>
    private static void AssertNewestFirst(List<string> messages, params string[] expected)
    {
        var positions = expected.Select(m => messages.IndexOf(m)).ToList();
        Assert.True(positions.All(p => p >= 0) && positions.SequenceEqual(positions.Order()),
            $"Expected {string.Join(" < ", expected)} newest first in: {string.Join(" | ", messages)}");
    }
}

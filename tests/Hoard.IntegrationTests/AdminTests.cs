using System.Text.Json.Nodes;
using Hoard.IntegrationTests.Infrastructure;

namespace Hoard.IntegrationTests;

/// <summary>The admin's API: every project's instances in Trove's mgmt view, and force delete from any state.</summary>
[Collection(HoardServerCollection.Name)]
[Trait("Category", "Integration")]
public sealed class AdminTests(HoardServerFixture server)
{
    private const string NoAdmin = "User does not have admin privileges.";

    private TroveClient Client => server.Client;

    private TroveSession Admin => server.Admin;

    [Fact]
    public async Task MgmtInstances_ShowEveryProjectToAdmins_WithServerVolumeAndTask_And401ForOthers()
    {
        var id = (await Client.CreateInstanceAsync(server.Other, TroveClient.InstanceBody("adm-other")))["id"]!.GetValue<string>();
        var ip = (await Client.WaitForActiveAsync(server.Other, id))["ip"]![0]!.GetValue<string>();

        foreach (var session in new[] { server.Other, server.Reader })
        {
            foreach (var path in new[] { "mgmt/instances", $"mgmt/instances/{id}" })
            {
                var refused = TroveClient.Expect(await Client.GetAsync(session, path), 401);
                Assert.Equal(NoAdmin, refused.Object["unauthorized"]!["message"]!.GetValue<string>());
            }
        }

        // As troveclient's mgmt_instances.list sends it.
        var listed = TroveClient.Expect(await Client.GetAsync(Admin, "mgmt/instances?limit=1000&deleted=False&include_clustered=False"), 200)
            .Object["instances"]!.AsArray().Select(i => i!.AsObject()).Single(i => i["id"]!.GetValue<string>() == id);
        Assert.Equal(server.Other.ProjectId, listed["tenant_id"]!.GetValue<string>());
        Assert.Equal("No tasks for the instance.", listed["task_description"]!.GetValue<string>());
        Assert.Equal("HEALTHY", listed["service_status"]!.GetValue<string>());
        Assert.False(listed["deleted"]!.GetValue<bool>());
        Assert.Equal("ACTIVE", listed["server"]!["status"]!.GetValue<string>());

        var shown = TroveClient.Expect(await Client.GetAsync(Admin, $"mgmt/instances/{id}"), 200).Object["instance"]!.AsObject();
        Assert.Equal("ACTIVE", shown["status"]!.GetValue<string>());
        Assert.Equal(server.Other.ProjectId, shown["tenant_id"]!.GetValue<string>());
        var serverView = shown["server"]!;
        Assert.Equal(id, serverView["id"]!.GetValue<string>());
        Assert.Equal("adm-other", serverView["name"]!.GetValue<string>());
        Assert.Equal(Environment.MachineName, serverView["host"]!.GetValue<string>());
        Assert.Equal(ip, serverView["addresses"]!["private"]![0]!["addr"]!.GetValue<string>());
        var volume = shown["volume"]!;
        Assert.Equal(1, volume["size"]!.GetValue<int>());
        Assert.Equal("in-use", volume["status"]!.GetValue<string>());
        Assert.True(volume["used"]!.GetValue<double>() > 0, shown.ToJsonString());
        Assert.Equal("healthy", shown["guest_status"]!["state_description"]!.GetValue<string>());
        Assert.False(shown["deleted"]!.GetValue<bool>());
        Assert.Null(shown["deleted_at"]);

        // The stock client's --all-projects and --project-id read the same list.
        var all = await OpenStackOkAsync("database", "instance", "list", "--all-projects", "-f", "json");
        var row = JsonNode.Parse(all)!.AsArray().Single(r => r!["ID"]!.GetValue<string>() == id)!;
        Assert.Equal(server.Other.ProjectId, row["Tenant ID"]!.GetValue<string>());
        Assert.Equal(id, row["Server ID"]!.GetValue<string>());
        var own = JsonNode.Parse(await OpenStackOkAsync("database", "instance", "list", "--project-id", Admin.ProjectId, "-f", "json"))!;
        Assert.DoesNotContain(own.AsArray(), r => r!["ID"]!.GetValue<string>() == id);

        var badFlag = await Client.GetAsync(Admin, "mgmt/instances?deleted=maybe");
        Assert.True(badFlag.Status == 400, badFlag.ToString());

        TroveClient.Expect(await Client.DeleteAsync(server.Other, $"instances/{id}"), 202);
        await Client.WaitUntilGoneAsync(server.Other, id, 90);
        TroveClient.Expect(await Client.GetAsync(Admin, $"mgmt/instances/{id}"), 404);
        var deleted = TroveClient.Expect(await Client.GetAsync(Admin, $"mgmt/instances/{id}?deleted=true"), 200).Object["instance"]!;
        Assert.True(deleted["deleted"]!.GetValue<bool>());
        Assert.NotNull(deleted["deleted_at"]);
        var deletedList = TroveClient.Expect(await Client.GetAsync(Admin, "mgmt/instances?deleted=true&limit=1000"), 200).Object["instances"]!.AsArray();
        Assert.Contains(deletedList, i => i!["id"]!.GetValue<string>() == id);
        var liveList = TroveClient.Expect(await Client.GetAsync(Admin, "mgmt/instances?limit=1000"), 200).Object["instances"]!.AsArray();
        Assert.DoesNotContain(liveList, i => i!["id"]!.GetValue<string>() == id);
    }

    /// <param name="resetFirst">
    /// True: reset_status within milliseconds of the create, so the build is cut off before it allocated much; false: the
    /// client's own reset and delete, a moment later, on a build that may have started its guest.
    /// </param>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ForceDelete_ViaTheClient_OfAnInstanceStuckInBuild_LeavesNothingBehind(bool resetFirst)
    {
        var name = resetFirst ? "adm-stuck-reset" : "adm-stuck-build";
        var id = (await Client.CreateInstanceAsync(Admin, TroveClient.InstanceBody(name)))["id"]!.GetValue<string>();
        if (resetFirst)
        {
            TroveClient.Expect(await Client.PostAsync(Admin, $"instances/{id}/action", """{"reset_status":{}}"""), 202);
            var reset = TroveClient.Expect(await Client.GetAsync(Admin, $"mgmt/instances/{id}"), 200).Object["instance"]!;
            Assert.Equal("No tasks for the instance.", reset["task_description"]!.GetValue<string>());
        }
        else
        {
            var refused = await Client.DeleteAsync(Admin, $"instances/{id}");
            Assert.True(refused.Status == 422, $"a plain delete of a BUILD instance was not refused: {refused}");
            var building = TroveClient.Expect(await Client.GetAsync(Admin, $"mgmt/instances/{id}"), 200).Object["instance"]!;
            Assert.Equal("The instance is building.", building["task_description"]!.GetValue<string>());
        }

        var notAdmin = await Client.PostAsync(server.Reader, $"instances/{id}/action", """{"reset_status":{}}""");
        Assert.True(notAdmin.Status is 401 or 403, $"a reader reset an instance: {notAdmin}");

        await OpenStackOkAsync("database", "instance", "delete", "--force", name);
        // Not WaitUntilGoneAsync: as in Trove, an instance whose server is in error shows ERROR while it is deleted.
        ApiResponse? last = null;
        await Poll.UntilAsync(async () => (last = await Client.GetAsync(Admin, $"instances/{id}")).Status == 404,
            $"force-deleted instance {id} was not gone (404)", 120, () => last?.ToString() ?? "nothing");

        var instanceDir = Path.Combine(server.DataDir, "instances", id);
        var volume = Path.Combine(server.DataDir, "volumes", id);
        Assert.Empty(ProcessTable.Mentioning(id));
        Assert.False(Directory.Exists(instanceDir), $"{instanceDir} (address, guest config) is left behind");
        Assert.False(Directory.Exists(volume), $"{volume} is left behind");
        Assert.False(File.Exists(volume + ".img"), $"{volume}.img is left behind");
        Assert.DoesNotContain(volume, await File.ReadAllTextAsync("/proc/self/mounts"), StringComparison.Ordinal);
        var deleted = TroveClient.Expect(await Client.GetAsync(Admin, $"mgmt/instances/{id}?deleted=true"), 200).Object["instance"]!;
        Assert.True(deleted["deleted"]!.GetValue<bool>());

        // An abandoned step of the build may still have been running: nothing it made may appear after the delete.
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Empty(ProcessTable.Mentioning(id));
        Assert.False(Directory.Exists(instanceDir) || Directory.Exists(volume), "something of the instance came back after its delete");
    }

    private async Task<string> OpenStackOkAsync(params string[] arguments)
    {
        var environment = new Dictionary<string, string?>();
        foreach (var key in Environment.GetEnvironmentVariables().Keys.Cast<string>().Where(k => k.StartsWith("OS_", StringComparison.Ordinal)))
        {
            environment[key] = null;
        }

        foreach (var (key, value) in server.OpenRc)
        {
            environment[key] = value;
        }

        var result = await ProcessRunner.RunAsync("openstack", arguments, environment, timeoutSeconds: 90);
        Assert.True(result.Succeeded, result.ToString());
        return result.Stdout;
    }
}

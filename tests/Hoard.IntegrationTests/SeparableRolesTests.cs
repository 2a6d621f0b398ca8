using System.Globalization;
using System.Text.Json.Nodes;
using Dapper;
using Hoard.IntegrationTests.Infrastructure;
using Hoard.Persistence;
using RabbitMQ.Client;
using Xunit.Abstractions;

namespace Hoard.IntegrationTests;

/// <summary>
/// hoard-server as separate processes (<c>--roles api</c> twice, <c>--roles taskmanager</c> twice, <c>--roles conductor</c>)
/// on one state DB and a private RabbitMQ: an instance created through one API process goes ACTIVE and both API processes
/// answer the same data; a task manager killed with SIGKILL in the middle of a provision leaves it to the other, which
/// finishes it with one guest and one database server.
/// </summary>
[Collection(HoardClusterCollection.Name)]
[Trait("Category", "Integration")]
public sealed class SeparableRolesTests(HoardClusterFixture cluster, ITestOutputHelper output)
{
    private const int StartGuestStep = 4;

    [RabbitMqFact]
    public async Task InstanceCreatedThroughOneApi_GoesActive_AndBothApisAnswerTheSameData()
    {
        var api1 = cluster.Client(0);
        var api2 = cluster.Client(1);
        var admin = await api1.LoginAsync("admin", cluster.AdminPassword, "demo");
        var created = await api1.CreateInstanceAsync(admin, TroveClient.InstanceBody("split-roles", "shop", "app", "Split-App-1"));
        var id = created["id"]!.GetValue<string>();

        // Polled through the other API process, with the token the first one issued: both read the one state DB.
        var active = await api2.WaitForActiveAsync(admin, id, 180);
        Assert.Equal("split-roles", active["name"]!.GetValue<string>());
        var (owner, status) = await WorkflowOfAsync(id, "provision_instance");
        Assert.Equal("SUCCEEDED", status);
        Assert.Contains(PidOf(owner), cluster.TaskManagers.Select(t => t.Pid));
        // The owner listens on its own topic for wakes the conductor relays, and on the shared one for new workflows.
        Assert.Equal(1u, await ConsumersAsync("taskmanager." + owner));
        // Polled: a task manager started by the other test answers its health check before it has subscribed.
        var live = (uint)cluster.TaskManagers.Count(t => !t.HasExited);
        uint consumers = 0;
        await Poll.UntilAsync(async () => (consumers = await ConsumersAsync("taskmanager")) == live,
            $"The {live} task managers did not all consume the taskmanager queue", 30, () => $"{consumers} consumers");

        // A call to the guest from the second API process, read back through the first.
        TroveClient.Expect(await api2.PostAsync(admin, $"instances/{id}/databases", """{"databases":[{"name":"ledger"}]}"""), 202);
        var databases = TroveClient.Expect(await api1.GetAsync(admin, $"instances/{id}/databases"), 200).Object["databases"]!.AsArray();
        Assert.Equal(["ledger", "shop"], databases.Select(d => d!["name"]!.GetValue<string>()).Order(StringComparer.Ordinal));

        var group = TroveClient.Expect(await api1.PostAsync(admin, "configurations",
            """{"configuration":{"name":"split-cfg","values":{"max_connections":120},"datastore":{"type":"mariadb","version":"10.11"}}}"""), 200);
        var groupId = group.Object["configuration"]!["id"]!.GetValue<string>();
        var shown = TroveClient.Expect(await api2.GetAsync(admin, $"configurations/{groupId}"), 200).Object["configuration"]!;
        Assert.Equal("split-cfg", shown["name"]!.GetValue<string>());
        // The same instances, names and statuses (links differ: each names the address it was asked at).
        static IEnumerable<string> Summary(IReadOnlyList<JsonObject> list) =>
            list.Select(i => $"{i["id"]} {i["name"]} {i["status"]}").Order(StringComparer.Ordinal);
        Assert.Equal(Summary(await api1.ListInstancesAsync(admin)), Summary(await api2.ListInstancesAsync(admin)));

        // Each process serves only its roles.
        var health = JsonNode.Parse(await Http(cluster.TaskManagers.First(t => !t.HasExited)).GetStringAsync("/hoard/health"))!;
        Assert.Equal(["taskmanager"], health["roles"]!.AsArray().Select(r => r!.GetValue<string>()));
        Assert.Equal(404, (int)(await Http(cluster.Conductor).GetAsync($"/v1.0/{admin.ProjectId}/instances")).StatusCode);

        TroveClient.Expect(await api2.DeleteAsync(admin, $"instances/{id}"), 202);
        await api1.WaitUntilGoneAsync(admin, id, 90);
        TroveClient.Expect(await api2.DeleteAsync(admin, $"configurations/{groupId}"), 202);
    }

    [RabbitMqFact]
    public async Task TaskManagerKilledMidProvision_TheOtherFinishesIt_WithOneGuest()
    {
        var api = cluster.Client(0);
        var admin = await api.LoginAsync("admin", cluster.AdminPassword, "demo");
        var created = await api.CreateInstanceAsync(admin, TroveClient.InstanceBody("takeover", "shop", "app", "Takeover-App-1"));
        var id = created["id"]!.GetValue<string>();

        // Kill the task manager driving the provision as soon as it starts the guest.
        string? owner = null;
        var step = -1;
        await Poll.UntilAsync(async () =>
        {
            (owner, step) = await ProgressAsync(id);
            return owner is not null && step >= StartGuestStep;
        }, "The provision never reached start_guest", 120, () => $"owner {owner}, step {step}", intervalMs: 10);
        var victim = cluster.TaskManagers.Single(t => t.Pid == PidOf(owner!));
        var victimJobs = (await JobLeasesAsync()).Count(l => l.Value == owner);
        await victim.KillAsync();
        var killedAt = DateTimeOffset.UtcNow;
        var survivor = cluster.TaskManagers.Single(t => t != victim && !t.HasExited);

        await api.WaitForActiveAsync(admin, id, 180);
        output.WriteLine($"{victim.Name} (holding {victimJobs} singleton jobs) killed at step {step}; ACTIVE {(DateTimeOffset.UtcNow - killedAt).TotalSeconds:0.0} s later (lease {HoardClusterFixture.LeaseSeconds} s)");
        var (finalOwner, status) = await WorkflowOfAsync(id, "provision_instance");
        Assert.Equal("SUCCEEDED", status);
        Assert.Equal(survivor.Pid, PidOf(finalOwner));
        Assert.True(survivor.Logged(l => l.Contains("Took over workflow provision_instance", StringComparison.Ordinal) && l.Contains(id, StringComparison.Ordinal)),
            $"{survivor.Name} did not report taking over (victim killed at step {step}):\n{survivor.Log}");

        var guests = ProcessTable.Mentioning(Path.Combine(cluster.DataDir, "instances", id, "guest.json"))
            .Where(p => p.CommandLine.Contains("hoard-guest", StringComparison.Ordinal)).ToList();
        Assert.True(guests.Count == 1, $"expected one guest of {id} (killed at step {step}), found: {ProcessTable.Describe(guests)}");
        var servers = ProcessTable.Mentioning(id).Where(p => p.CommandLine.Contains("mariadbd", StringComparison.Ordinal)).ToList();
        Assert.True(servers.Count == 1, $"expected one mariadbd of {id}, found: {ProcessTable.Describe(servers)}");
        Assert.True(DateTimeOffset.UtcNow - killedAt < TimeSpan.FromSeconds(180));

        // The singleton jobs the victim held (under leases) are the survivor's now, and none runs twice.
        string[] jobs = ["OrphanedTaskReaper", "GuestReconciler", "OrphanReconciler", "ConfigurationReconciler", "NetworkAccessReconciler",
            "WriteEndpointReconciler", "FailoverMonitor", "WalArchiveJanitor", "BackupScheduler"];
        IReadOnlyDictionary<string, string> holders = new Dictionary<string, string>();
        await Poll.UntilAsync(async () =>
        {
            holders = await JobLeasesAsync();
            return jobs.All(j => holders.GetValueOrDefault("job:" + j) == finalOwner);
        }, "The survivor did not take over every singleton job", 3 * HoardClusterFixture.LeaseSeconds,
            () => string.Join(", ", holders.Select(h => $"{h.Key}={h.Value}")));
        Assert.Equal(cluster.Conductor.Pid, PidOf(holders["job:SilentGuestSweeper"]));

        // The instance works: a call reaches its guest, and the user created by the resumed prepare can log in.
        TroveClient.Expect(await api.PostAsync(admin, $"instances/{id}/databases", """{"databases":[{"name":"after_takeover"}]}"""), 202);
        var users = TroveClient.Expect(await api.GetAsync(admin, $"instances/{id}/users"), 200).Object["users"]!.AsArray();
        Assert.Contains(users, u => u!["name"]!.GetValue<string>() == "app");

        TroveClient.Expect(await api.DeleteAsync(admin, $"instances/{id}"), 202);
        await api.WaitUntilGoneAsync(admin, id, 90);
        await cluster.StartTaskManagerAsync();
    }

    /// <summary>Owner ids are <c>host-pid-random</c>.</summary>
    private static int PidOf(string? owner)
    {
        Assert.NotNull(owner);
        var parts = owner.Split('-');
        return int.Parse(parts[^2], CultureInfo.InvariantCulture);
    }

    private static HttpClient Http(HoardProcess process) => new() { BaseAddress = new Uri(process.BaseUrl), Timeout = TimeSpan.FromSeconds(10) };

    private async Task<(string? Owner, int Step)> ProgressAsync(string instanceId)
    {
        await using var connection = await new StateDb(Path.Combine(cluster.DataDir, "state.db")).OpenAsync(CancellationToken.None);
        var rows = await connection.QueryAsync<(string?, long)>(
            "SELECT owner, step FROM workflows WHERE instance_id = @instanceId AND type = 'provision_instance'", new { instanceId });
        return rows.Select(r => (r.Item1, (int)r.Item2)).FirstOrDefault();
    }

    private async Task<uint> ConsumersAsync(string queue)
    {
        await using var connection = await new ConnectionFactory { Uri = cluster.Broker.Options.Url }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        return (await channel.QueueDeclarePassiveAsync(queue)).ConsumerCount;
    }

    private async Task<IReadOnlyDictionary<string, string>> JobLeasesAsync()
    {
        await using var connection = await new StateDb(Path.Combine(cluster.DataDir, "state.db")).OpenAsync(CancellationToken.None);
        var rows = await connection.QueryAsync<(string, string)>("SELECT name, owner FROM leases WHERE name LIKE 'job:%'");
        return rows.ToDictionary(r => r.Item1, r => r.Item2);
    }

    private async Task<(string? Owner, string Status)> WorkflowOfAsync(string instanceId, string type)
    {
        await using var connection = await new StateDb(Path.Combine(cluster.DataDir, "state.db")).OpenAsync(CancellationToken.None);
        var rows = (await connection.QueryAsync<(string?, string)>(
            "SELECT owner, status FROM workflows WHERE instance_id = @instanceId AND type = @type", new { instanceId, type })).ToList();
        if (rows.Count != 1)
        {
            var all = await connection.QueryAsync<string>("SELECT instance_id || ' ' || type || ' ' || status || ' ' || COALESCE(owner, '-') FROM workflows");
            Assert.Fail($"expected one {type} workflow of {instanceId}; the workflows are: {string.Join("; ", all)}");
        }

        return rows[0];
    }
}

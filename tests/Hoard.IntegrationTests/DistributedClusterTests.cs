using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Dapper;
using Hoard.IntegrationTests.Infrastructure;
using RabbitMQ.Client;
using Xunit.Abstractions;

namespace Hoard.IntegrationTests;

/// <summary>
/// Issue 8's must-show on the whole distributed deployment (<see cref="DistributedClusterFixture"/>: separate api, task
/// manager and conductor processes, RabbitMQ, a PostgreSQL state DB, instances on three namespace hosts): the spine's
/// end-to-end <c>openstack database</c> flow for MariaDB; a task manager killed mid-provision, whose provision the other
/// finishes; and a broker restart that every process, host agent and guest survives.
/// </summary>
[Collection(DistributedClusterCollection.Name)]
[Trait("Category", "Integration")]
public sealed class DistributedClusterTests(DistributedClusterFixture cluster, ITestOutputHelper output)
{
    private const int StartGuestStep = 4;

    [DistributedClusterFact]
    public async Task OpenStackClient_CreatesUsesAndDeletesAMariaDbInstance_OnTheDistributedCluster()
    {
        await OpenStackInstanceFlow.CreateUseAndDeleteAsync(arguments => OpenStackCli.RunWithAsync(cluster.OpenRc, arguments),
            "e2e-distributed", "mariadb", "10.11", async (id, ip) =>
            {
                // Placed on a host and reached at one of that host's own addresses, in its namespace.
                var host = await cluster.HostOfAsync(id);
                Assert.NotNull(host);
                var n = int.Parse(host[1..], CultureInfo.InvariantCulture);
                Assert.Contains(ip, cluster.Hosts.Pool(n));
                var guestPid = int.Parse(await File.ReadAllTextAsync(Path.Combine(cluster.Agents[n - 1].DataDir, "instances", id, "guest.pid")),
                    CultureInfo.InvariantCulture);
                Assert.Contains(guestPid, cluster.Hosts.Processes(n));
            });
    }

    [DistributedClusterFact]
    public async Task TaskManagerKilledMidProvision_TheOtherFinishesIt_OnPostgreSql()
    {
        var api = cluster.Client(0);
        var admin = await api.LoginAsync("admin", cluster.AdminPassword, "demo");
        var id = (await api.CreateInstanceAsync(admin, TroveClient.InstanceBody("dc-takeover", "shop", "app", "Takeover-App-1")))["id"]!.GetValue<string>();
        Exception? failure = null;
        try
        {
            // Kill the task manager driving the provision (the workflow's owner) as soon as it starts the guest.
            string? owner = null;
            var step = -1;
            await Poll.UntilAsync(async () =>
            {
                (owner, step) = await ProgressAsync(id);
                return owner is not null && step >= StartGuestStep;
            }, "The provision never reached start_guest", 120, () => $"owner {owner}, step {step}", intervalMs: 10);
            var victim = cluster.TaskManagers.Single(t => t.Pid == PidOf(owner!));
            await victim.KillAsync();
            var killed = Stopwatch.StartNew();
            var survivor = cluster.TaskManagers.Single(t => t != victim && !t.HasExited);

            await api.WaitForActiveAsync(admin, id, 180);
            output.WriteLine($"{victim.Name} killed at step {step}; ACTIVE {killed.Elapsed.TotalSeconds:0.0} s later (lease {DistributedClusterFixture.LeaseSeconds} s)");
            var (finalOwner, status) = await ProvisionOfAsync(id);
            Assert.Equal("SUCCEEDED", status);
            Assert.Equal(survivor.Pid, PidOf(finalOwner));
            Assert.True(survivor.Logged(l => l.Contains("Took over workflow provision_instance", StringComparison.Ordinal) && l.Contains(id, StringComparison.Ordinal)),
                $"{survivor.Name} did not report taking over (victim killed at step {step}):\n{survivor.Log}");

            // One guest and one database server, on the instance's host.
            var host = await cluster.HostOfAsync(id);
            var n = int.Parse(host![1..], CultureInfo.InvariantCulture);
            var onHost = cluster.Hosts.Processes(n).ToHashSet();
            var guests = ProcessTable.Mentioning(id).Where(p => p.CommandLine.Contains("hoard-guest", StringComparison.Ordinal)).ToList();
            Assert.True(guests.Count == 1 && onHost.Contains(guests[0].Pid), $"expected one guest of {id} on {host}, found: {ProcessTable.Describe(guests)}");
            var servers = ProcessTable.Mentioning(id).Where(p => p.CommandLine.Contains("mariadbd", StringComparison.Ordinal)).ToList();
            Assert.True(servers.Count == 1, $"expected one mariadbd of {id}, found: {ProcessTable.Describe(servers)}");

            // The instance works: a call reaches its guest through the broker, and the prepared user is there.
            TroveClient.Expect(await cluster.Client(1).PostAsync(admin, $"instances/{id}/databases", """{"databases":[{"name":"after_takeover"}]}"""), 202);
            var users = TroveClient.Expect(await api.GetAsync(admin, $"instances/{id}/users"), 200).Object["users"]!.AsArray();
            Assert.Contains(users, u => u!["name"]!.GetValue<string>() == "app");
        }
        catch (Exception e)
        {
            failure = e;
            throw;
        }
        finally
        {
            await CleanUpAsync(api, admin, failure, id);
            if (cluster.TaskManagers.Count(t => !t.HasExited) < 2)
            {
                await cluster.StartTaskManagerAsync();
            }
        }
    }

    [DistributedClusterFact]
    public async Task BrokerRestart_EveryProcessAgentAndGuestReconnects_AndNothingIsLost()
    {
        var api1 = cluster.Client(0);
        var api2 = cluster.Client(1);
        var admin = await api1.LoginAsync("admin", cluster.AdminPassword, "demo");
        var before = (await api1.CreateInstanceAsync(admin, TroveClient.InstanceBody("dc-before", "shop", "app", "Before-App-1")))["id"]!.GetValue<string>();
        string? after = null;
        Exception? failure = null;
        try
        {
            await api1.WaitForActiveAsync(admin, before, 180);

            var stopped = Stopwatch.StartNew();
            var stoppedAt = DateTimeOffset.UtcNow;
            await cluster.Broker.RestartAsync();
            var brokerBack = stopped.Elapsed;
            var ids = (await api1.ListInstancesAsync(admin)).Select(i => i["id"]!.GetValue<string>()).ToList();
            Assert.Contains(before, ids);
            var (heartbeatsFresh, allActive) = await WaitUntilReconnectedAsync(api1, admin, ids, stoppedAt, stopped);
            output.WriteLine($"broker back {brokerBack.TotalSeconds:0.0} s after it was killed; every heartbeat fresh after " +
                             $"{heartbeatsFresh.TotalSeconds:0.0} s; every instance ACTIVE after {allActive.TotalSeconds:0.0} s");

            // Calls from both api processes reach the existing guest; a new instance goes ACTIVE.
            TroveClient.Expect(await api2.PostAsync(admin, $"instances/{before}/databases", """{"databases":[{"name":"after_restart"}]}"""), 202);
            var databases = TroveClient.Expect(await api1.GetAsync(admin, $"instances/{before}/databases"), 200).Object["databases"]!.AsArray();
            Assert.Contains(databases, d => d!["name"]!.GetValue<string>() == "after_restart");
            after = (await api2.CreateInstanceAsync(admin, TroveClient.InstanceBody("dc-after", "shop", "app", "After-App-1")))["id"]!.GetValue<string>();
            await api1.WaitForActiveAsync(admin, after, 180);

            // Nothing lost, nothing in ERROR.
            var listed = await api1.ListInstancesAsync(admin);
            Assert.Equal(ids.Append(after).Order(StringComparer.Ordinal), listed.Select(i => i["id"]!.GetValue<string>()).Order(StringComparer.Ordinal));
            Assert.All(listed, i => Assert.Equal("ACTIVE", i["status"]!.GetValue<string>()));
        }
        catch (Exception e)
        {
            failure = e;
            throw;
        }
        finally
        {
            await CleanUpAsync(api1, admin, failure, after, before);
        }
    }

    /// <summary>
    /// The broker stays away longer than the guests' heartbeat expiry and the hosts' down time: instances turn SHUTDOWN and
    /// hosts down, as they must when nothing is heard of them, and the API answers meanwhile. When the broker is back,
    /// everything reconnects, the instances are ACTIVE again with the same guests and their data, and a new one is built.
    /// </summary>
    [DistributedClusterFact]
    public async Task BrokerAwayLongerThanTheHeartbeatExpiry_InstancesComeBackActive_WithTheirGuestsAndData()
    {
        var api1 = cluster.Client(0);
        var api2 = cluster.Client(1);
        var admin = await api1.LoginAsync("admin", cluster.AdminPassword, "demo");
        var before = (await api1.CreateInstanceAsync(admin, TroveClient.InstanceBody("dc-outage", "shop", "app", "Outage-App-1")))["id"]!.GetValue<string>();
        string? during = null;
        Exception? failure = null;
        try
        {
            var ip = (await api1.WaitForActiveAsync(admin, before, 180))["ip"]![0]!.GetValue<string>();
            await MariaDbClient.QueryOkAsync(ip, "app", "Outage-App-1", "shop", "CREATE TABLE kept (id INT PRIMARY KEY); INSERT INTO kept VALUES (42);");
            var guestPid = GuestPids(before);

            var stopped = Stopwatch.StartNew();
            cluster.Broker.Kill();

            // The API answers while the broker is away (the parts of a view that ask a host are left out): the instance's
            // service turns SHUTDOWN once its guest has been silent for the heartbeat expiry (its server stays ACTIVE).
            var shown = "";
            var slowest = TimeSpan.Zero;
            await Poll.UntilAsync(async () =>
            {
                var asked = Stopwatch.StartNew();
                var instance = TroveClient.Expect(await api1.GetAsync(admin, $"instances/{before}"), 200).Object["instance"]!;
                slowest = asked.Elapsed > slowest ? asked.Elapsed : slowest;
                shown = $"{instance["status"]}/{instance["operating_status"]}";
                return shown == "ACTIVE/SHUTDOWN";
            }, $"{before} was not SHUTDOWN while nothing was heard of its guest", 4 * HoardServerFixture.HeartbeatExpirySeconds,
                () => $"{shown} (slowest answer {slowest.TotalSeconds:0.0} s)\n{cluster.Logs}");
            await Poll.UntilAsync(async () => TroveClient.Expect(await api1.GetAsync(admin, "mgmt/hosts"), 200).Object["hosts"]!.AsArray()
                    .All(h => h!["status"]!.GetValue<string>() == "down"),
                "the hosts were not marked down while their agents were silent", 40, () => cluster.Logs);
            var away = stopped.Elapsed;

            var restarted = Stopwatch.StartNew();
            var restartedAt = DateTimeOffset.UtcNow;
            await cluster.Broker.StartAsync();
            var ids = new[] { before };
            var (heartbeatsFresh, allActive) = await WaitUntilReconnectedAsync(api1, admin, ids, restartedAt, restarted);
            output.WriteLine($"broker away {away.TotalSeconds:0.0} s (instances SHUTDOWN, hosts down); after it started again: every heartbeat fresh " +
                             $"after {heartbeatsFresh.TotalSeconds:0.0} s, every instance ACTIVE after {allActive.TotalSeconds:0.0} s");

            // The same guest and server, with the data, no second guest started beside it.
            Assert.Equal(guestPid, GuestPids(before));
            Assert.Equal("42", (await MariaDbClient.QueryOkAsync(ip, "app", "Outage-App-1", "shop", "SELECT id FROM kept")).Trim());
            TroveClient.Expect(await api2.PostAsync(admin, $"instances/{before}/databases", """{"databases":[{"name":"after_outage"}]}"""), 202);
            during = (await api2.CreateInstanceAsync(admin, TroveClient.InstanceBody("dc-after-outage", "shop", "app", "During-App-1")))["id"]!.GetValue<string>();
            await api1.WaitForActiveAsync(admin, during, 180);
            var listed = await api1.ListInstancesAsync(admin);
            Assert.All(listed, i => Assert.Equal("ACTIVE", i["status"]!.GetValue<string>()));
        }
        catch (Exception e)
        {
            failure = e;
            throw;
        }
        finally
        {
            await CleanUpAsync(api1, admin, failure, during, before);
        }
    }

    /// <summary>
    /// Waits until every guest of <paramref name="ids"/> has reported after <paramref name="since"/>, every instance listed is
    /// ACTIVE, and every process, host agent and guest consumes its queue again; the times these took on <paramref name="clock"/>.
    /// </summary>
    private async Task<(TimeSpan HeartbeatsFresh, TimeSpan AllActive)> WaitUntilReconnectedAsync(TroveClient api, TroveSession admin,
        IReadOnlyList<string> ids, DateTimeOffset since, Stopwatch clock)
    {
        IReadOnlyList<(string Id, string Status, string? Reported)> states = [];
        await Poll.UntilAsync(async () =>
        {
            states = await ReportsAsync(ids);
            return states.Count == ids.Count && states.All(s => s.Reported is { } r && DateTimeOffset.Parse(r, CultureInfo.InvariantCulture) > since);
        }, "Not every guest reported again after the broker came back", 60, () => string.Join("; ", states) + "\n" + cluster.Logs, intervalMs: 100);
        var heartbeatsFresh = clock.Elapsed;
        var shown = new List<string>();
        await Poll.UntilAsync(async () =>
        {
            shown.Clear();
            foreach (var id in ids)
            {
                var instance = TroveClient.Expect(await api.GetAsync(admin, $"instances/{id}"), 200).Object["instance"]!;
                shown.Add($"{instance["status"]}/{instance["operating_status"]}");
            }

            return shown.All(s => s is "ACTIVE/ACTIVE" or "ACTIVE/HEALTHY");
        }, "Not every instance was ACTIVE again after the broker came back", 60, () => string.Join(", ", shown) + "\n" + cluster.Logs, intervalMs: 100);
        var allActive = clock.Elapsed;

        var expected = new Dictionary<string, uint> { ["conductor"] = 1, ["taskmanager"] = (uint)cluster.TaskManagers.Count(t => !t.HasExited) };
        foreach (var id in ids)
        {
            expected["guest." + id] = 1;
        }

        for (var n = 1; n <= DistributedClusterFixture.HostCount; n++)
        {
            expected["host." + DistributedClusterFixture.HostName(n)] = 1;
        }

        var seen = new Dictionary<string, uint>();
        await Poll.UntilAsync(async () =>
        {
            foreach (var queue in expected.Keys)
            {
                seen[queue] = await ConsumersAsync(queue);
            }

            return expected.All(e => seen[e.Key] == e.Value);
        }, "Not every consumer came back", 30, () => string.Join(", ", seen.Select(s => $"{s.Key}={s.Value}")));
        await Poll.UntilAsync(async () => TroveClient.Expect(await api.GetAsync(admin, "mgmt/hosts"), 200).Object["hosts"]!.AsArray()
            .All(h => h!["status"]!.GetValue<string>() == "up"), "Not every host was up again", 30, () => cluster.AgentLogs);
        return (heartbeatsFresh, allActive);
    }

    /// <summary>The pids of the instance's guest processes.</summary>
    private static IReadOnlyList<int> GuestPids(string id) =>
        [.. ProcessTable.Mentioning(id).Where(p => p.CommandLine.Contains("hoard-guest", StringComparison.Ordinal)).Select(p => p.Pid).Order()];

    /// <summary>Owner ids are <c>host-pid-random</c>.</summary>
    private static int PidOf(string? owner)
    {
        Assert.NotNull(owner);
        var parts = owner.Split('-');
        return int.Parse(parts[^2], CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Deletes the test's instances. After a failure the cluster's logs are written out and a failed deletion is only
    /// reported, so that it does not hide the failure (the fixture removes leftovers).
    /// </summary>
    private async Task CleanUpAsync(TroveClient api, TroveSession admin, Exception? failure, params string?[] ids)
    {
        if (failure is not null)
        {
            output.WriteLine(cluster.Logs);
        }

        foreach (var id in ids.OfType<string>())
        {
            try
            {
                await DeleteAsync(api, admin, id);
            }
            catch (Exception e) when (failure is not null)
            {
                output.WriteLine($"cleaning up {id} after the failure failed too: {e.Message}");
            }
        }
    }

    private static async Task DeleteAsync(TroveClient api, TroveSession admin, string id)
    {
        if ((await api.DeleteAsync(admin, $"instances/{id}")).Status == 422)
        {
            await api.PostAsync(admin, $"instances/{id}/action", """{"reset_status":{}}""");
            await api.DeleteAsync(admin, $"instances/{id}");
        }

        await api.WaitUntilGoneAsync(admin, id, 90);
    }

    private async Task<(string? Owner, int Step)> ProgressAsync(string instanceId)
    {
        await using var connection = await cluster.StateDb.OpenAsync(CancellationToken.None);
        var rows = await connection.QueryAsync<(string?, long)>(
            "SELECT owner, step FROM workflows WHERE instance_id = @instanceId AND type = 'provision_instance'", new { instanceId });
        return rows.Select(r => (r.Item1, (int)r.Item2)).FirstOrDefault();
    }

    private async Task<(string? Owner, string Status)> ProvisionOfAsync(string instanceId)
    {
        await using var connection = await cluster.StateDb.OpenAsync(CancellationToken.None);
        return await connection.QuerySingleAsync<(string?, string)>(
            "SELECT owner, status FROM workflows WHERE instance_id = @instanceId AND type = 'provision_instance'", new { instanceId });
    }

    private async Task<IReadOnlyList<(string Id, string Status, string? Reported)>> ReportsAsync(IReadOnlyList<string> ids)
    {
        await using var connection = await cluster.StateDb.OpenAsync(CancellationToken.None);
        var rows = await connection.QueryAsync<(string, string, string?)>(
            "SELECT id, service_status, service_status_updated FROM instances WHERE deleted = 0");
        return [.. rows.Where(r => ids.Contains(r.Item1))];
    }

    private async Task<uint> ConsumersAsync(string queue)
    {
        await using var connection = await new ConnectionFactory { Uri = cluster.Broker.Options.Url }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        return (await channel.QueueDeclarePassiveAsync(queue)).ConsumerCount;
    }
}

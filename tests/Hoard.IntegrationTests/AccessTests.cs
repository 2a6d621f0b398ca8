using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Hoard.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Hoard.IntegrationTests;

/// <summary>
/// Trove's <c>access.allowed_cidrs</c>, enforced: clients whose sockets are bound to different loopback addresses
/// connect to a real instance, or are refused, as its allowed networks say, through create, updates and delete.
/// </summary>
[Collection(HoardServerCollection.Name)]
[Trait("Category", "Integration")]
public sealed class AccessTests(HoardServerFixture server, ITestOutputHelper output)
{
    private const string AppPassword = "Acl-App-Pw-1";
    private const string Allowed = "127.0.0.2";
    private const string Other = "127.0.0.3";

    private TroveClient Client => server.Client;

    private TroveSession Admin => server.Admin;

    [NftFact]
    public async Task AllowedCidrs_AdmitOnlyTheirNetworks_FollowUpdates_AndGoWithTheInstance()
    {
        var body = TroveClient.InstanceBody("acl", "shop", "app", AppPassword);
        body["instance"]!["access"] = new JsonObject { ["is_public"] = false, ["allowed_cidrs"] = new JsonArray($"{Allowed}/32") };
        var created = await Client.CreateInstanceAsync(Admin, body);
        var id = created["id"]!.GetValue<string>();
        Assert.Equal($$"""{"is_public":false,"allowed_cidrs":["{{Allowed}}/32"],"enforced_by":["nftables"]}""", created["access"]!.ToJsonString());

        var ip = (await Client.WaitForActiveAsync(Admin, id))["ip"]![0]!.GetValue<string>();
        await AssertReachableAsync(ip, from: Allowed, reachable: true);
        await AssertReachableAsync(ip, from: Other, reachable: false);
        // The stock client cannot bind its socket; from the host's default source address (127.0.0.1) it is refused.
        var refused = await MariaDbClient.QueryAsync(ip, "app", AppPassword, "shop", "SELECT 1");
        Assert.False(refused.Succeeded, $"a client at 127.0.0.1 reached the instance: {refused}");
        Assert.Contains($"instance {id}", await NftTable.ListAsync(server.DataDir) ?? "", StringComparison.Ordinal);

        await RefusedUpdatesChangeNothingAsync(id, ip);

        var watch = Stopwatch.StartNew();
        await UpdateAsync(id, $$"""{"allowed_cidrs":["{{Other}}/32"]}""");
        output.WriteLine($"PUT access to ACTIVE again (rules applied): {watch.ElapsedMilliseconds} ms");
        await AssertReachableAsync(ip, from: Other, reachable: true);
        await AssertReachableAsync(ip, from: Allowed, reachable: false);
        Assert.Equal($"""["{Other}/32"]""", (await ShowAsync(id))["access"]!["allowed_cidrs"]!.ToJsonString());

        // What `openstack database instance update --is-private` sends: the defaults, so every network again.
        await UpdateAsync(id, """{"is_public":false}""");
        await AssertReachableAsync(ip, from: Allowed, reachable: true);
        await AssertReachableAsync(ip, from: Other, reachable: true);
        Assert.Equal("1", (await MariaDbClient.QueryOkAsync(ip, "app", AppPassword, "shop", "SELECT 1")).Trim());
        Assert.Equal("""{"is_public":false,"allowed_cidrs":["0.0.0.0/0"],"enforced_by":[]}""", (await ShowAsync(id))["access"]!.ToJsonString());
        Assert.DoesNotContain(id, await NftTable.ListAsync(server.DataDir) ?? "", StringComparison.Ordinal);

        await UpdateAsync(id, $$"""{"allowed_cidrs":["{{Allowed}}/32"]}""");
        Assert.Contains($"instance {id}", await NftTable.ListAsync(server.DataDir) ?? "", StringComparison.Ordinal);
        var listed = (await Client.ListInstancesAsync(Admin)).Single(i => i["id"]!.GetValue<string>() == id);
        Assert.Equal($"""["{Allowed}/32"]""", listed["access"]!["allowed_cidrs"]!.ToJsonString());

        TroveClient.Expect(await Client.DeleteAsync(Admin, $"instances/{id}"), 202);
        await Client.WaitUntilGoneAsync(Admin, id);
        Assert.DoesNotContain(id, await NftTable.ListAsync(server.DataDir) ?? "", StringComparison.Ordinal);
    }

    [NftFact]
    public async Task OpenStackClient_CreatesWithAllowedCidr_AndUpdatesIt()
    {
        var create = await OpenStackAsync("database", "instance", "create", "acl-cli", "--flavor", "1", "--size", "1",
            "--datastore", "mariadb", "--datastore-version", "10.11", "--allowed-cidr", $"{Allowed}/32", "-f", "json");
        Assert.True(create.Succeeded, create.ToString());
        var created = JsonNode.Parse(create.Stdout)!;
        var id = created["id"]!.GetValue<string>();
        Assert.Equal($"""["{Allowed}/32"]""", created["allowed_cidrs"]!.ToJsonString());
        Assert.False(created["public"]!.GetValue<bool>());
        var ip = (await Client.WaitForActiveAsync(Admin, id))["ip"]![0]!.GetValue<string>();
        await AssertReachableAsync(ip, from: Allowed, reachable: true);
        await AssertReachableAsync(ip, from: Other, reachable: false);

        var update = await OpenStackAsync("database", "instance", "update", id, "--allowed-cidr", $"{Other}/32", "--allowed-cidr", "10.0.0.0/8");
        Assert.True(update.Succeeded, update.ToString());
        await Client.WaitForActiveAsync(Admin, id, 30);
        await AssertReachableAsync(ip, from: Other, reachable: true);
        await AssertReachableAsync(ip, from: Allowed, reachable: false);
        var show = await OpenStackAsync("database", "instance", "show", id, "-f", "json");
        Assert.True(show.Succeeded, show.ToString());
        Assert.Equal($"""["{Other}/32","10.0.0.0/8"]""", JsonNode.Parse(show.Stdout)!["allowed_cidrs"]!.ToJsonString());

        var badCidr = await OpenStackAsync("database", "instance", "update", id, "--allowed-cidr", "10.0.0.1/8");
        Assert.False(badCidr.Succeeded, $"a CIDR with host bits set was accepted: {badCidr}");
        Assert.Contains("host bits set", badCidr.Stderr + badCidr.Stdout, StringComparison.Ordinal);

        var open = await OpenStackAsync("database", "instance", "update", id, "--is-private");
        Assert.True(open.Succeeded, open.ToString());
        await Client.WaitForActiveAsync(Admin, id, 30);
        await AssertReachableAsync(ip, from: Allowed, reachable: true);

        var delete = await OpenStackAsync("database", "instance", "delete", id);
        Assert.True(delete.Succeeded, delete.ToString());
        await Client.WaitUntilGoneAsync(Admin, id);
    }

    [NftFact]
    public async Task Rules_LostWithTheHostsRuleset_AreRebuiltFromTheStateDb_WhenTheServerStarts()
    {
        var body = TroveClient.InstanceBody("acl-restart", database: null, user: null);
        body["instance"]!["access"] = new JsonObject { ["allowed_cidrs"] = new JsonArray($"{Allowed}/32") };
        var id = (await Client.CreateInstanceAsync(Admin, body))["id"]!.GetValue<string>();
        var ip = (await Client.WaitForActiveAsync(Admin, id))["ip"]![0]!.GetValue<string>();
        await AssertReachableAsync(ip, from: Other, reachable: false);

        // As a host reboot would: the database comes back, the rules do not.
        await NftTable.DeleteAsync(server.DataDir);
        await AssertReachableAsync(ip, from: Other, reachable: true);
        await server.CrashAndRestartServerAsync();

        await Poll.UntilAsync(async () => (await NftTable.ListAsync(server.DataDir))?.Contains(id, StringComparison.Ordinal) == true,
            "the restarted server did not rebuild the instance's rules", 30, () => server.ServerLog);
        await AssertReachableAsync(ip, from: Other, reachable: false);
        await AssertReachableAsync(ip, from: Allowed, reachable: true);

        TroveClient.Expect(await Client.DeleteAsync(Admin, $"instances/{id}"), 202);
        await Client.WaitUntilGoneAsync(Admin, id);
    }

    [NftTheory]
    [InlineData("postgresql", "15", 5432)]
    [InlineData("redis", "7.0", 6379)]
    public async Task AllowedCidrs_GuardEveryDatastoresPort(string datastore, string version, int port)
    {
        var body = TroveClient.InstanceBody($"acl-{datastore}", datastore == "redis" ? null : "shop", "app", AppPassword);
        body["instance"]!["datastore"] = new JsonObject { ["type"] = datastore, ["version"] = version };
        body["instance"]!["access"] = new JsonObject { ["allowed_cidrs"] = new JsonArray(Allowed) };
        var id = (await Client.CreateInstanceAsync(Admin, body))["id"]!.GetValue<string>();
        var active = await Client.WaitForActiveAsync(Admin, id);
        var ip = active["ip"]![0]!.GetValue<string>();
        Assert.Equal($"""["{Allowed}/32"]""", active["access"]!["allowed_cidrs"]!.ToJsonString());

        await AssertReachableAsync(ip, from: Allowed, reachable: true, port);
        await AssertReachableAsync(ip, from: Other, reachable: false, port);

        TroveClient.Expect(await Client.DeleteAsync(Admin, $"instances/{id}"), 202);
        await Client.WaitUntilGoneAsync(Admin, id);
        Assert.DoesNotContain(id, await NftTable.ListAsync(server.DataDir) ?? "", StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"allowed_cidrs":["10.1.2.3/8"]}""", "host bits set")]
    [InlineData("""{"allowed_cidrs":["127.0.0.2/32","127.0.0.2"]}""", "more than once")]
    [InlineData("""{"allowed_cidrs":["127.0.0.300/32"]}""", "not an IPv4 CIDR")]
    [InlineData("""{"allowed_cidrs":["::1/128"]}""", "not an IPv4 CIDR")]
    [InlineData("""{"allowed_cidrs":"127.0.0.2/32"}""", "must be an array")]
    [InlineData("""{"is_public":true}""", "no public network")]
    [InlineData("""{"is_public":true,"allowed_cidrs":["127.0.0.2/32"]}""", "no public network")]
    public async Task Create_WithBadAccess_Is400_AndCreatesNothing(string access, string reason)
    {
        var name = "acl-bad-" + Guid.NewGuid().ToString("N")[..8];
        var body = TroveClient.InstanceBody(name, database: null, user: null);
        body["instance"]!["access"] = JsonNode.Parse(access);

        var fault = AuthTests.AssertFault(await Client.PostAsync(Admin, "instances", body.ToJsonString()), 400, "badRequest");

        Assert.Contains(reason, fault["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.DoesNotContain(await Client.ListInstancesAsync(Admin), i => i["name"]!.GetValue<string>() == name);
    }

    [Fact]
    public async Task Show_UnrestrictedInstance_ShowsEveryNetwork_AndNoEnforcementClaim()
    {
        var shared = await server.GetSharedInstanceAsync();
        var access = (await ShowAsync(shared.Id))["access"]!.AsObject();
        Assert.Equal("""{"is_public":false,"allowed_cidrs":["0.0.0.0/0"],"enforced_by":[]}""", access.ToJsonString());
    }

    /// <summary>Each is refused whole, before anything changes: the rules, the stored access and the name stay.</summary>
    private async Task RefusedUpdatesChangeNothingAsync(string id, string ip)
    {
        foreach (var (update, reason) in new[]
                 {
                     ("""{"access":{"allowed_cidrs":["127.0.0.3/33"]}}""", "not an IPv4 CIDR"),
                     ("""{"access":{"allowed_cidrs":["127.0.0.3/32","127.0.0.3/32"]}}""", "more than once"),
                     ("""{"access":{"allowed_cidrs":["127.0.0.1/8"]}}""", "host bits set"),
                     ("""{"access":{"is_public":true}}""", "no public network"),
                     ("""{"access":null}""", "must be an object"),
                     ("""{"name":"acl-renamed","access":{"is_public":true}}""", "no public network"),
                     ("""{"access":{"allowed_cidrs":[]},"configuration":null}""", "Only one attribute"),
                 })
        {
            var fault = AuthTests.AssertFault(await Client.PutAsync(Admin, $"instances/{id}", """{"instance":""" + update + "}"), 400, "badRequest");
            Assert.Contains(reason, fault["message"]!.GetValue<string>(), StringComparison.Ordinal);
        }

        var shown = await ShowAsync(id);
        Assert.Equal(("acl", "ACTIVE", $"""["{Allowed}/32"]"""),
            (shown["name"]!.GetValue<string>(), shown["status"]!.GetValue<string>(), shown["access"]!["allowed_cidrs"]!.ToJsonString()));
        await AssertReachableAsync(ip, from: Allowed, reachable: true);
        await AssertReachableAsync(ip, from: Other, reachable: false);
    }

    private Task<ProcessResult> OpenStackAsync(params string[] arguments) => OpenStackCli.RunAsync(server, arguments);

    /// <summary>PUT a new access and wait for its workflow to end (task UPDATING is shown ACTIVE, but without HEALTHY).</summary>
    private async Task UpdateAsync(string id, string access)
    {
        TroveClient.Expect(await Client.PutAsync(Admin, $"instances/{id}", """{"instance":{"access":""" + access + "}}"), 202);
        await Client.WaitForActiveAsync(Admin, id, 30);
    }

    private async Task<JsonObject> ShowAsync(string id) =>
        TroveClient.Expect(await Client.GetAsync(Admin, $"instances/{id}"), 200).Object["instance"]!.AsObject();

    /// <summary>
    /// A TCP client bound to <paramref name="from"/>: reachable means connected (and, for MariaDB, its greeting read);
    /// unreachable means refused at once (the rule answers with a reset) or no answer within 3 s.
    /// </summary>
    private static async Task AssertReachableAsync(string ip, string from, bool reachable, int port = 3306)
    {
        using var client = new TcpClient(new IPEndPoint(IPAddress.Parse(from), 0));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        string outcome;
        try
        {
            await client.ConnectAsync(IPAddress.Parse(ip), port, timeout.Token);
            if (port == 3306)
            {
                var greeting = new byte[64];
                var read = await client.GetStream().ReadAsync(greeting, timeout.Token);
                Assert.True(read > 4, $"MariaDB at {ip} sent no greeting to a client at {from}");
            }

            outcome = "connected";
        }
        catch (SocketException e)
        {
            outcome = e.SocketErrorCode.ToString();
        }
        catch (OperationCanceledException)
        {
            outcome = "timed out";
        }

        Assert.True((outcome == "connected") == reachable,
            $"A client at {from} connecting to {ip}:{port} was expected to be {(reachable ? "admitted" : "refused")}, but: {outcome}");
    }
}

using System.Collections.Concurrent;
using System.Diagnostics;
using Hoard.Contracts.Bus;
using Hoard.Contracts.Guest;
using Hoard.Guest.Datastores.Redis;
using Xunit.Abstractions;

namespace Hoard.Guest.Tests.Datastores.Redis;

/// <summary>Replication between real Redis servers prepared by their own managers, driven as hoard-server drives it.</summary>
public sealed class RedisReplicationTests(ITestOutputHelper output)
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task Replica_HasTheSourcesDataAndUsers_FollowsItsWrites_AndRefusesWrites()
    {
        await using var source = await RedisReplicationMember.SourceAsync();
        source.Set("before", "1");
        await using var replica = await RedisReplicationMember.ReplicaOfAsync(source);
        output.WriteLine($"replica create (context + prepare to first sync done): {replica.PrepareTime.TotalSeconds:0.000} s");

        Assert.Equal("1", replica.Get("before"));
        source.Set("after", "2");
        await Poll.UntilAsync(() => replica.Get("after") == "2", "a write on the source never reached the replica");
        using var connection = replica.Connect();
        Assert.Equal("READONLY", Assert.Throws<RedisException>(() => connection.Execute("SET", "x", "y")).ErrorCode);
        Assert.Contains(await replica.Manager.ListUsersAsync(None), u => u.Name == RedisReplicationMember.User);
        Assert.Equal(ServiceStatus.Healthy, await replica.Manager.ProbeAsync(None));
        Assert.Equal(GuestErrorCodes.BadRequest, (await Assert.ThrowsAsync<HandlerException>(() => replica.Manager.DemoteAsync(None))).Code);
        Assert.Equal(ReplicationRoles.Replica, (await replica.StatusAsync()).Role);
    }

    [Fact]
    public async Task Status_ReportsRolesPositionsStreamingAndLag()
    {
        await using var source = await RedisReplicationMember.SourceAsync();
        Assert.Null(await source.Manager.GetReplicationStatusAsync(None));
        await using var replica = await RedisReplicationMember.ReplicaOfAsync(source);
        source.Set("k", "v");

        var sourceStatus = await source.StatusAsync();
        Assert.Equal(ReplicationRoles.Source, sourceStatus.Role);
        Assert.False(sourceStatus.ReadOnly);
        Assert.True(sourceStatus.Position > 0);
        ReplicationReport status = null!;
        await Poll.UntilAsync(async () => (status = await replica.StatusAsync()).Position >= sourceStatus.Position,
            "the replica's position never reached the source's");
        Assert.Equal(ReplicationRoles.Replica, status.Role);
        Assert.True(status.Streaming);
        Assert.True(status.ReadOnly);
        Assert.InRange(status.LagSeconds!.Value, 0, 2);
        Assert.Equal($"{source.Instance.Config.Address}:{source.Instance.Config.Port}", status.SourceHost);
        Assert.Null(status.Error);
        output.WriteLine($"source {sourceStatus.PositionText}, replica {status.PositionText}, lag {status.LagSeconds} s");
    }

    [Fact]
    public async Task ReplicaContext_IsIdempotent_ItsAccountOnlyReplicates_AndNoSecretLeaks()
    {
        await using var source = await RedisReplicationMember.SourceAsync();

        var first = await source.Manager.GetReplicaContextAsync(new ReplicaContextRequest("r1"), None);
        var second = await source.Manager.GetReplicaContextAsync(new ReplicaContextRequest("r2"), None);
        await using var replica = await RedisReplicationMember.ReplicaOfAsync(source);

        Assert.Equal(first.Password, second.Password);
        Assert.Equal(RedisAcl.ReplicationUser, first.User);
        Assert.StartsWith($"user {RedisReplicationMember.User} on ", first.Data["acl"]);
        Assert.Contains(RedisAcl.PasswordHash(RedisReplicationMember.Password), first.Data["acl"]);
        Assert.DoesNotContain(RedisReplicationMember.Password, first.Data["acl"]);
        Assert.DoesNotContain("os_admin", first.Data["acl"]);
        Assert.DoesNotContain(await source.Manager.ListUsersAsync(None), u => u.Name == RedisAcl.ReplicationUser);
        using (var repl = source.Instance.ConnectTcp(first.User, first.Password))
            Assert.Equal("NOPERM", Assert.Throws<RedisException>(() => repl.Execute("GET", "k")).ErrorCode);
        var paths = replica.Manager.Server.Paths;
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(paths.MasterAuthFile));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(source.Manager.Server.Paths.ReplicationPassword));
        Assert.DoesNotContain(first.Password, File.ReadAllText(paths.ConfigFile));
        Assert.DoesNotContain(first.Password, File.ReadAllText($"/proc/{replica.Manager.Server.Supervisor!.Pid}/cmdline"));
        Assert.DoesNotContain(replica.Instance.LogLines.Concat(source.Instance.LogLines), line => line.Contains(first.Password));
        // The account survives a restart of the source: the replica reconnects with the same password.
        await source.Manager.RestartAsync(None);
        source.Set("after-restart", "1");
        await Poll.UntilAsync(() => replica.Get("after-restart") == "1", "the replica did not reconnect to the restarted source");
        await Poll.UntilAsync(async () => (await replica.StatusAsync()).Position == (await source.StatusAsync()).Position,
            "the replica's position never matched the restarted source's again");
        using (var admin = source.Manager.Server.OpenAdmin(TimeSpan.FromSeconds(5)))
            output.WriteLine(string.Join(", ", admin.Execute("INFO", "stats").AsString().Split("\r\n").Where(l => l.StartsWith("sync_", StringComparison.Ordinal))));
        output.WriteLine($"after the source's restart: {(await source.StatusAsync()).PositionText}");
        await source.Manager.ForgetReplicaAsync(replica.Id, None);
        await source.Manager.ForgetReplicaAsync("never-heard-of", None);
    }

    [Fact]
    public async Task Replica_KeepsFollowingAfterAGuestRestartAndAServerCrash()
    {
        await using var source = await RedisReplicationMember.SourceAsync();
        await using var replica = await RedisReplicationMember.ReplicaOfAsync(source);

        await replica.RestartGuestAsync();
        source.Set("after-guest-restart", "1");
        await Poll.UntilAsync(() => replica.Get("after-guest-restart") == "1", "the restarted replica stopped following");
        var supervisor = replica.Manager.Server.Supervisor!;
        var pid = supervisor.Pid!.Value;
        Process.GetProcessById(pid).Kill();
        await Poll.UntilAsync(() => supervisor.Pid is { } now && now != pid, "the supervisor never restarted the replica's server");
        source.Set("after-crash", "2");

        await Poll.UntilAsync(() => TryGet(replica, "after-crash") == "2", "the replica stopped following after its server crashed");
        using var connection = replica.Connect();
        Assert.Equal("READONLY", Assert.Throws<RedisException>(() => connection.Execute("SET", "x", "y")).ErrorCode);
        Assert.Equal(ReplicationRoles.Replica, (await replica.StatusAsync()).Role);
    }

    [Fact]
    public async Task Promote_MakesAReplicaAWritableSource_ThatStaysOneAfterARestart()
    {
        await using var source = await RedisReplicationMember.SourceAsync();
        await using var replica = await RedisReplicationMember.ReplicaOfAsync(source);
        source.Set("shared", "1");
        await Poll.UntilAsync(() => replica.Get("shared") == "1", "the replica never caught up");

        var watch = Stopwatch.StartNew();
        var promoted = await replica.Manager.PromoteAsync(None);
        output.WriteLine($"promote: {watch.Elapsed.TotalSeconds:0.000} s");
        await source.Manager.ForgetReplicaAsync(replica.Id, None);

        Assert.Equal(ReplicationRoles.Source, promoted.Role);
        Assert.False(promoted.ReadOnly);
        replica.Set("own", "2");
        source.Set("not-followed", "3");
        await replica.RestartGuestAsync();
        Assert.Equal("2", replica.Get("own"));
        Assert.Null(replica.Get("not-followed"));
        replica.Set("own-after-restart", "4");
        Assert.Equal(ReplicationRoles.Source, (await replica.StatusAsync()).Role);
        Assert.DoesNotContain("replicaof", File.ReadAllText(replica.Manager.Server.Paths.ConfigFile));
        Assert.False(File.Exists(replica.Manager.Server.Paths.MasterAuthFile));
        Assert.Equal(ReplicationRoles.Source, (await replica.Manager.PromoteAsync(None)).Role);
    }

    [Fact]
    public async Task Switchover_LosesNoAcknowledgedWrite_AndTheOldSourceAndTheOtherReplicaFollowTheNewOne()
    {
        await using var source = await RedisReplicationMember.SourceAsync();
        await using var next = await RedisReplicationMember.ReplicaOfAsync(source);
        await using var other = await RedisReplicationMember.ReplicaOfAsync(source);
        var acknowledged = new ConcurrentQueue<string>();
        var stop = false;
        var writer = Task.Run(() =>
        {
            using var connection = source.ConnectWithTimeout(TimeSpan.FromSeconds(30));
            for (var i = 0; !Volatile.Read(ref stop); i++)
            {
                try
                {
                    connection.Execute("SET", $"w:{i}", "x");
                    acknowledged.Enqueue($"w:{i}");
                }
                catch (RedisException e)
                {
                    return e.ErrorCode ?? e.Message;
                }
            }

            return "stopped";
        });
        await Poll.UntilAsync(() => acknowledged.Count > 500, "the writer never got going");

        var watch = Stopwatch.StartNew();
        var final = await source.Manager.DemoteAsync(None);
        await Poll.UntilAsync(async () => (await next.StatusAsync()).Position >= final.Position, "the new source never caught up");
        var caughtUp = watch.Elapsed;
        await next.Manager.PromoteAsync(None);
        var context = await next.Manager.GetReplicaContextAsync(new ReplicaContextRequest(source.Id), None);
        await source.Manager.AttachReplicaAsync(context, None);
        await other.Manager.AttachReplicaAsync(context, None);
        var switchover = watch.Elapsed;
        Volatile.Write(ref stop, true);
        var writerEnd = await writer;
        output.WriteLine($"switchover: demote to caught up {caughtUp.TotalSeconds:0.000} s, whole switchover {switchover.TotalSeconds:0.000} s; " +
            $"{acknowledged.Count} writes acknowledged, the held write ended with {writerEnd}; final position {final.Position}");

        Assert.True(final.ReadOnly);
        Assert.NotEqual("stopped", writerEnd);
        using (var connection = next.Connect())
            Assert.Equal(acknowledged.Count, connection.Execute(["EXISTS", .. acknowledged]).AsInteger());
        next.Set("after-switchover", "1");
        await Poll.UntilAsync(() => source.Get("after-switchover") == "1" && other.Get("after-switchover") == "1",
            "the old source or the other replica never followed the new source");
        using (var connection = source.Connect())
            Assert.Equal("READONLY", Assert.Throws<RedisException>(() => connection.Execute("SET", "x", "y")).ErrorCode);
        var newSource = $"{next.Instance.Config.Address}:{next.Instance.Config.Port}";
        Assert.Equal(newSource, (await source.StatusAsync()).SourceHost);
        Assert.Equal(newSource, (await other.StatusAsync()).SourceHost);
        Assert.False((await next.StatusAsync()).ReadOnly);
        // PSYNC2: both took up the stream where they were, without a new full copy.
        using var admin = next.Manager.Server.OpenAdmin(TimeSpan.FromSeconds(5));
        var stats = admin.Execute("INFO", "stats").AsString();
        var syncs = string.Join(", ", stats.Split("\r\n").Where(l => l.StartsWith("sync_", StringComparison.Ordinal)));
        Assert.True(syncs.Contains("sync_full:0") && syncs.Contains("sync_partial_ok:2"), $"The new source saw {syncs}.");
        await source.RestartGuestAsync();
        next.Set("after-old-source-restart", "1");
        await Poll.UntilAsync(() => source.Get("after-old-source-restart") == "1", "the old source stopped following after a guest restart");
    }

    [Fact]
    public async Task Demote_HoldsWritesAcrossARestart_AndPromoteUndoesIt()
    {
        await using var source = await RedisReplicationMember.SourceAsync();
        await using var replica = await RedisReplicationMember.ReplicaOfAsync(source);

        source.Set("before-demote", "1");
        var demoted = await source.Manager.DemoteAsync(None);
        Assert.True(demoted.ReadOnly);
        Assert.True((await source.StatusAsync()).ReadOnly);
        Assert.Equal("held", TrySetWithin(source, "held-1", TimeSpan.FromMilliseconds(800)));
        Assert.Equal("held", TrySetWithin(source, "held-2", TimeSpan.FromMilliseconds(800)));
        // 1.6 s on, past a ping period: nothing, not even a PING to the replica, moved the offset.
        Assert.Equal(demoted.Position, (await source.StatusAsync()).Position);
        await source.RestartGuestAsync();
        Assert.Equal("held", TrySetWithin(source, "held-3", TimeSpan.FromMilliseconds(500)));

        var undone = await source.Manager.PromoteAsync(None);

        Assert.False(undone.ReadOnly);
        Assert.Equal("ok", TrySetWithin(source, "free", TimeSpan.FromSeconds(5)));
        await Poll.UntilAsync(() => replica.Get("free") == "1", "the replica stopped following the undemoted source");
    }

    [Fact]
    public async Task Failover_PromotesTheFurthestReplica_AndTheOtherFollowsIt()
    {
        await using var source = await RedisReplicationMember.SourceAsync();
        await using var first = await RedisReplicationMember.ReplicaOfAsync(source);
        await using var second = await RedisReplicationMember.ReplicaOfAsync(source);
        for (var i = 0; i < 100; i++)
            source.Set($"k:{i}", i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await Poll.UntilAsync(() => first.Get("k:99") == "99" && second.Get("k:99") == "99", "the replicas never caught up");

        await source.KillAsync();
        var sourceHost = $"{source.Instance.Config.Address}:{source.Instance.Config.Port}";
        ReplicationReport lost = null!;
        await Poll.UntilAsync(async () => (lost = await first.StatusAsync()).Streaming == false, "the replica never noticed its source died");
        Assert.Contains(sourceHost, lost.Error);
        output.WriteLine($"a replica of a dead source reports: {lost.Error}");
        var furthest = (await first.StatusAsync()).Position >= (await second.StatusAsync()).Position ? first : second;
        var rest = furthest == first ? second : first;
        var watch = Stopwatch.StartNew();
        await furthest.Manager.PromoteAsync(None);
        await rest.Manager.AttachReplicaAsync(await furthest.Manager.GetReplicaContextAsync(new ReplicaContextRequest(rest.Id), None), None);
        output.WriteLine($"failover (promote + re-point): {watch.Elapsed.TotalSeconds:0.000} s");

        furthest.Set("after-failover", "1");
        await Poll.UntilAsync(() => rest.Get("after-failover") == "1", "the other replica never followed the promoted one");
        Assert.Equal("42", rest.Get("k:42"));
        Assert.True((await rest.StatusAsync()).Streaming);
    }

    [Fact]
    public async Task ReplicaPrepare_WithAWrongPassword_FailsSayingWhy_AndLeavesNoRole()
    {
        await using var source = await RedisReplicationMember.SourceAsync();
        var context = await source.Manager.GetReplicaContextAsync(new ReplicaContextRequest("r"), None) with { Password = "Wrong-Password-1" };
        using var instance = RedisInstance.Create();
        await using var manager = instance.CreateManager(new RedisOptions { ReplicaSyncTimeout = TimeSpan.FromSeconds(3) });

        var error = await Assert.ThrowsAsync<HandlerException>(() =>
            manager.PrepareAsync(new PrepareRequest("redis", "7.0", 256, 1, 1, [], [], ReplicaOf: context), None));
        output.WriteLine(error.Message);

        Assert.Contains($"{source.Instance.Config.Address}:{source.Instance.Config.Port}", error.Message);
        Assert.Contains("WRONGPASS", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(context.Password, error.Message);
        Assert.False(manager.IsPrepared);
        Assert.Null(await manager.GetReplicationStatusAsync(None));
    }

    [Fact]
    public async Task ConfigurationUpdate_OnAReplica_KeepsItFollowing_AndCannotMakeItWritable()
    {
        await using var source = await RedisReplicationMember.SourceAsync();
        await using var replica = await RedisReplicationMember.ReplicaOfAsync(source);

        await replica.Manager.UpdateOverridesAsync(new UpdateOverridesRequest(256,
            new Dictionary<string, string> { ["maxmemory-policy"] = "allkeys-lru" }, []), None);
        var refused = await Assert.ThrowsAsync<HandlerException>(() => replica.Manager.UpdateOverridesAsync(new UpdateOverridesRequest(256,
            new Dictionary<string, string> { ["replica-read-only"] = "no" }, []), None));
        await replica.RestartGuestAsync();

        Assert.Equal(GuestErrorCodes.BadRequest, refused.Code);
        source.Set("after-update", "1");
        await Poll.UntilAsync(() => replica.Get("after-update") == "1", "the replica stopped following after a configuration update");
        using var connection = replica.Connect();
        Assert.Equal("READONLY", Assert.Throws<RedisException>(() => connection.Execute("SET", "x", "y")).ErrorCode);
    }

    [Fact]
    public async Task Attach_OfAnInstanceThatNeverReplicated_IsRefused()
    {
        await using var source = await RedisReplicationMember.SourceAsync();
        await using var stranger = await RedisReplicationMember.SourceAsync();
        stranger.Set("own", "1");
        var context = await source.Manager.GetReplicaContextAsync(new ReplicaContextRequest(stranger.Id), None);

        var error = await Assert.ThrowsAsync<HandlerException>(() => stranger.Manager.AttachReplicaAsync(context, None));

        Assert.Equal(GuestErrorCodes.BadRequest, error.Code);
        Assert.Equal("1", stranger.Get("own"));
        Assert.Null(await stranger.Manager.GetReplicationStatusAsync(None));
    }

    private static string? TryGet(RedisReplicationMember member, string key)
    {
        try
        {
            return member.Get(key);
        }
        catch (RedisException e) when (e.IsConnectionFailure || e.ErrorCode == "LOADING")
        {
            return null;
        }
    }

    /// <summary>"ok" when the write was taken within <paramref name="timeout"/>, "held" when it was still waiting.</summary>
    private static string TrySetWithin(RedisReplicationMember member, string key, TimeSpan timeout)
    {
        using var connection = member.ConnectWithTimeout(timeout);
        try
        {
            connection.Execute("SET", key, "1");
            return "ok";
        }
        catch (RedisException e) when (e.IsConnectionFailure)
        {
            return "held";
        }
    }
}

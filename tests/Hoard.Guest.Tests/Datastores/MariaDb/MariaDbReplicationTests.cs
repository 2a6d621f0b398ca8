using System.Diagnostics;
using Hoard.Contracts.Bus;
using Hoard.Contracts.Guest;
using Hoard.Guest.Datastores;
using Hoard.Guest.Datastores.MariaDb;
using Hoard.Guest.Tests.Backups;
using Xunit.Abstractions;

namespace Hoard.Guest.Tests.Datastores.MariaDb;

/// <summary>
/// GTID replication between real MariaDB servers, driven through the guest verbs in the order hoard-server uses them:
/// a replica is prepared from a fresh mariadb-backup of its source plus the source's replica context.
/// </summary>
public sealed class MariaDbReplicationTests(BackupReceiver receiver, ITestOutputHelper output) : IClassFixture<BackupReceiver>, IAsyncLifetime
{
    private const int ReadOnlyRefusal = 1290;
    private static readonly CancellationToken None = CancellationToken.None;
    private readonly List<MariaDbReplicationMember> _members = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var member in _members)
            await member.DisposeAsync();
    }

    [Fact]
    public async Task Replica_FollowsItsSource_RefusesWrites_AndKeepsFollowingAcrossRestarts()
    {
        var source = await NewSourceAsync();
        source.Insert(1, 100);
        Assert.Null(await source.Manager.GetReplicationStatusAsync(None));

        var watch = Stopwatch.StartNew();
        var replica = await NewReplicaAsync(source);
        output.WriteLine($"replica created (context, backup, prepare, following) in {watch.Elapsed.TotalSeconds:0.000} s");
        foreach (var line in source.Instance.LogLines.Concat(replica.Instance.LogLines).Where(l => l.Contains("restarted") || l.Contains("prepared")))
            output.WriteLine(line);

        Assert.True(replica.Manager.IsPrepared);
        Assert.Equal(ServiceStatus.Healthy, await replica.Manager.ProbeAsync(None));
        Assert.Equal(100, replica.Count());
        source.Insert(101, 150);
        await replica.UntilCountAsync(150);

        var refused = Assert.Throws<MariaDbException>(() => replica.Insert(1000, 1000));
        Assert.Equal(ReadOnlyRefusal, refused.ErrorNumber);
        var guestRefused = await Assert.ThrowsAsync<HandlerException>(() => replica.Manager.CreateDatabasesAsync([new DatabaseSpec("other")], None));
        Assert.Equal(GuestErrorCodes.BadRequest, guestRefused.Code);

        var sourceStatus = await source.Manager.GetReplicationStatusAsync(None);
        Assert.NotNull(sourceStatus);
        Assert.Equal(ReplicationRoles.Source, sourceStatus.Role);
        Assert.False(sourceStatus.ReadOnly);
        Assert.True(sourceStatus.Position > 0);
        await replica.UntilCaughtUpAsync(sourceStatus.Position);
        var status = (await replica.Manager.GetReplicationStatusAsync(None))!;
        output.WriteLine($"source {sourceStatus}; replica {status}");
        Assert.Equal(ReplicationRoles.Replica, status.Role);
        Assert.True(status.Streaming);
        Assert.NotNull(status.LagSeconds);
        Assert.Equal($"127.0.0.1:{source.Instance.Config.Port}", status.SourceHost);
        Assert.Null(status.Error);
        Assert.True(status.ReadOnly);
        Assert.Equal(sourceStatus.Position, status.Position);
        // The restore's init file (new administrator passwords) wrote nothing under the replica's own server id.
        var replicaServerId = replica.ScalarAsAdmin("SELECT @@GLOBAL.server_id");
        Assert.DoesNotContain($"-{replicaServerId}-", replica.ScalarAsAdmin("SELECT @@GLOBAL.gtid_binlog_state") ?? "", StringComparison.Ordinal);

        // A new guest process: the server is stopped and started again by it, and still refuses writes and follows.
        await replica.RestartGuestAsync();
        Assert.Equal("1", replica.ScalarAsAdmin("SELECT @@GLOBAL.read_only"));
        source.Insert(151, 160);
        await replica.UntilCountAsync(160);
        await replica.Manager.RestartAsync(None);
        Assert.Equal(ReadOnlyRefusal, Assert.Throws<MariaDbException>(() => replica.Insert(1000, 1000)).ErrorNumber);
        source.Insert(161, 170);
        await replica.UntilCountAsync(170);

        // The source's server restarts; the replica reconnects by itself.
        await source.Manager.RestartAsync(None);
        source.Insert(171, 180);
        await replica.UntilCountAsync(180);
        Assert.True((await replica.Manager.GetReplicationStatusAsync(None))!.Streaming);

        await source.Manager.ForgetReplicaAsync(replica.Instance.Config.InstanceId, None);
        await source.Manager.ForgetReplicaAsync("never-a-replica", None);
        var password = File.ReadAllText(Path.Combine(source.Instance.Config.Paths.Etc, "replication-password")).Trim();
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(source.Instance.Config.Paths.Etc, "replication-password")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(ReplicationState.PathIn(replica.Instance.Config.Paths)));
        Assert.DoesNotContain(source.Instance.LogLines.Concat(replica.Instance.LogLines), line => line.Contains(password, StringComparison.Ordinal));
        Assert.DoesNotContain(password, File.ReadAllText(MariaDbPaths.For(replica.Instance.Config.Paths).ErrorLog), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Promote_DetachesAReplica_IntoAWritableSourceThatStaysOne()
    {
        var source = await NewSourceAsync();
        source.Insert(1, 10);
        var replica = await NewReplicaAsync(source);
        await replica.UntilCountAsync(10);

        var watch = Stopwatch.StartNew();
        var promoted = await replica.Manager.PromoteAsync(None);
        output.WriteLine($"promote: {watch.Elapsed.TotalSeconds:0.000} s, {promoted}");
        await source.Manager.ForgetReplicaAsync(replica.Instance.Config.InstanceId, None);

        Assert.Equal(ReplicationRoles.Source, promoted.Role);
        Assert.False(promoted.ReadOnly);
        Assert.Empty(replica.AsAdmin("SHOW SLAVE STATUS"));
        replica.Insert(11, 20);
        Assert.Equal(20, replica.Count());
        Assert.Equal(promoted, await replica.Manager.PromoteAsync(None) with { Position = promoted.Position, PositionText = promoted.PositionText });
        await replica.Manager.CreateDatabasesAsync([new DatabaseSpec("mine")], None);

        await replica.RestartGuestAsync();
        replica.Insert(21, 30);
        var after = (await replica.Manager.GetReplicationStatusAsync(None))!;
        Assert.Equal(ReplicationRoles.Source, after.Role);
        Assert.False(after.ReadOnly);
        Assert.True(after.Position > promoted.Position);
    }

    [Fact]
    public async Task Switchover_LosesNoWrite_TheOldSourceFollowsTheNewOne_AndTheOtherReplicaIsRepointed()
    {
        var source = await NewSourceAsync();
        source.Insert(1, 10);
        var first = await NewReplicaAsync(source);
        var second = await NewReplicaAsync(source);

        // A customer keeps writing, one acknowledged row at a time, until the demote ends its session.
        var acknowledged = new List<int>();
        using var writing = new CancellationTokenSource();
        var writer = Task.Run(() =>
        {
            using var connection = source.Customer();
            for (var id = 1000; !writing.IsCancellationRequested; id++)
            {
                try
                {
                    connection.Execute($"INSERT INTO items VALUES ({id}, 'during the switchover')");
                }
                catch (MariaDbException)
                {
                    return;
                }

                lock (acknowledged)
                    acknowledged.Add(id);
            }
        });
        await Poll.UntilAsync(() => { lock (acknowledged) return acknowledged.Count >= 20; }, "The writer never wrote 20 rows");

        var watch = Stopwatch.StartNew();
        var demoted = await source.Manager.DemoteAsync(None);
        var demote = watch.Elapsed;
        await writer.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(demoted.ReadOnly);
        Assert.Equal(ReadOnlyRefusal, Assert.Throws<MariaDbException>(() => source.Insert(5000, 5000)).ErrorNumber);
        await first.UntilCaughtUpAsync(demoted.Position);
        var caughtUp = watch.Elapsed;
        await first.Manager.PromoteAsync(None);
        var context = await first.Manager.GetReplicaContextAsync(new ReplicaContextRequest(source.Instance.Config.InstanceId), None);
        await source.Manager.AttachReplicaAsync(context, None);
        var switchover = watch.Elapsed;
        await second.Manager.AttachReplicaAsync(context, None);
        output.WriteLine($"switchover: demote {demote.TotalSeconds:0.000} s, caught up {caughtUp.TotalSeconds:0.000} s, " +
            $"old source following {switchover.TotalSeconds:0.000} s, second replica re-pointed {watch.Elapsed.TotalSeconds:0.000} s; " +
            $"{acknowledged.Count} acknowledged writes, final position {demoted.PositionText}");

        var expected = source.Count();
        Assert.Equal(expected, first.Count());
        // The demote may end a session between its commit and the answer: such a row is there without being acknowledged.
        Assert.InRange(expected, 10 + acknowledged.Count, 10 + acknowledged.Count + 1);
        using (var connection = first.Customer())
        {
            var ids = connection.Query("SELECT id FROM items WHERE id >= 1000").Select(row => int.Parse(row[0]!)).ToHashSet();
            Assert.All(acknowledged, id => Assert.Contains(id, ids));
        }

        // Far above the writer's ids, however many it wrote.
        first.Insert(1_000_000, 1_000_009);
        await source.UntilCountAsync(expected + 10);
        await second.UntilCountAsync(expected + 10);
        var newSource = (await first.Manager.GetReplicationStatusAsync(None))!;
        await source.UntilCaughtUpAsync(newSource.Position);
        await second.UntilCaughtUpAsync(newSource.Position);
        foreach (var follower in new[] { source, second })
        {
            var status = (await follower.Manager.GetReplicationStatusAsync(None))!;
            output.WriteLine($"{(follower == source ? "old source" : "second replica")}: {status}");
            Assert.Equal(ReplicationRoles.Replica, status.Role);
            Assert.True(status.Streaming);
            Assert.Null(status.Error);
            Assert.True(status.ReadOnly);
            Assert.Equal($"127.0.0.1:{first.Instance.Config.Port}", status.SourceHost);
            var slave = Assert.Single(follower.AsAdmin("SHOW SLAVE STATUS"));
            Assert.Equal("Yes", slave["Slave_IO_Running"]);
            Assert.Equal("Yes", slave["Slave_SQL_Running"]);
            Assert.Equal("0", slave["Last_IO_Errno"]);
            Assert.Equal("0", slave["Last_SQL_Errno"]);
            Assert.Equal(ReadOnlyRefusal, Assert.Throws<MariaDbException>(() => follower.Insert(6000, 6000)).ErrorNumber);
        }

        Assert.Equal(ReplicationRoles.Source, newSource.Role);
        Assert.False(newSource.ReadOnly);

        // The old source, now a replica, keeps following after a new guest process restarts it.
        await source.RestartGuestAsync();
        first.Insert(3000, 3004);
        await source.UntilCountAsync(expected + 15);
    }

    [Fact]
    public async Task Failover_PromotesTheFurthestReplica_AndTheOtherFollowsIt()
    {
        var source = await NewSourceAsync();
        source.Insert(1, 10);
        var first = await NewReplicaAsync(source);
        var second = await NewReplicaAsync(source);
        source.Insert(11, 20);
        await first.UntilCountAsync(20);
        await second.UntilCountAsync(20);

        await source.Manager.StopAsync(None);
        await Poll.UntilAsync(async () => (await first.Manager.GetReplicationStatusAsync(None))!.Streaming == false, "The replica never noticed its source was gone");
        var positions = new[] { first, second }.ToDictionary(m => m, m => m.Manager.GetReplicationStatusAsync(None).Result!.Position);
        var chosen = positions.MaxBy(p => p.Value).Key;
        var other = chosen == first ? second : first;
        var watch = Stopwatch.StartNew();
        await chosen.Manager.PromoteAsync(None);
        var context = await chosen.Manager.GetReplicaContextAsync(new ReplicaContextRequest(other.Instance.Config.InstanceId), None);
        await other.Manager.AttachReplicaAsync(context, None);
        output.WriteLine($"failover (promote, context, attach the other): {watch.Elapsed.TotalSeconds:0.000} s");

        chosen.Insert(21, 30);
        await other.UntilCountAsync(30);
        var status = (await other.Manager.GetReplicationStatusAsync(None))!;
        Assert.True(status.Streaming);
        Assert.Equal($"127.0.0.1:{chosen.Instance.Config.Port}", status.SourceHost);
    }

    [Fact]
    public async Task Attach_OfAnInstanceThatDiverged_IsRefused_AndLeavesItWritable()
    {
        var source = await NewSourceAsync();
        source.Insert(1, 10);
        var replica = await NewReplicaAsync(source);
        await replica.UntilCountAsync(10);
        await replica.Manager.PromoteAsync(None);
        replica.Insert(100, 100);
        source.Insert(200, 200);
        var context = await source.Manager.GetReplicaContextAsync(new ReplicaContextRequest(replica.Instance.Config.InstanceId), None);

        var refused = await Assert.ThrowsAsync<HandlerException>(() => replica.Manager.AttachReplicaAsync(context, None));

        output.WriteLine(refused.Message);
        Assert.Equal(GuestErrorCodes.BadRequest, refused.Code);
        Assert.DoesNotContain(context.Password, refused.Message, StringComparison.Ordinal);
        Assert.Equal(ReplicationRoles.Source, (await replica.Manager.GetReplicationStatusAsync(None))!.Role);
        replica.Insert(101, 101);
        Assert.Equal(12, replica.Count());
        Assert.Empty(replica.AsAdmin("SHOW SLAVE STATUS"));
    }

    [Fact]
    public async Task ASourceWithItsBinaryLogArchived_KeepsItForItsReplicas_AndTurnsOnLogSlaveUpdatesWhenItFollows()
    {
        var source = MariaDbReplicationMember.Create();
        _members.Add(source);
        await source.Manager.PrepareAsync(new PrepareRequest("mariadb", "10.11", 512, 1, 1,
            [new DatabaseSpec(MariaDbFixture.Database)], [new UserSpec(MariaDbFixture.User, MariaDbFixture.Password, "%", [MariaDbFixture.Database])],
            WalArchive: new WalArchiveTarget("http://127.0.0.1:9/unused", "unused")), None);
        using (var connection = source.Customer())
            connection.Execute("CREATE TABLE items (id INT PRIMARY KEY, note VARCHAR(64))");
        Assert.Equal("0", source.ScalarAsAdmin("SELECT @@GLOBAL.log_slave_updates"));

        // Writes go on while the replica is built: the ones after the backup's GTID sit in the file that the backup's
        // archiving closes, which must still be on the source when the replica asks for it.
        var written = 0;
        using var writing = new CancellationTokenSource();
        var writer = Task.Run(() =>
        {
            using var connection = source.Customer();
            for (var id = 1; !writing.IsCancellationRequested; id++)
            {
                connection.Execute($"INSERT INTO items VALUES ({id}, 'while the replica is built')");
                written = id;
            }
        });
        var replica = await NewReplicaAsync(source);
        await writing.CancelAsync();
        await writer;
        await replica.UntilCountAsync(written);
        Assert.Null((await replica.Manager.GetReplicationStatusAsync(None))!.Error);
        Assert.Equal("0", source.ScalarAsAdmin("SELECT @@GLOBAL.log_slave_updates"));

        await source.Manager.DemoteAsync(None);
        await replica.Manager.PromoteAsync(None);
        await source.Manager.AttachReplicaAsync(await replica.Manager.GetReplicaContextAsync(new ReplicaContextRequest(source.Instance.Config.InstanceId), None), None);

        Assert.Equal("1", source.ScalarAsAdmin("SELECT @@GLOBAL.log_slave_updates"));
        Assert.Contains(source.Instance.LogLines, line => line.StartsWith("mariadb: restarted to turn the binary log and log_slave_updates on", StringComparison.Ordinal));
        replica.Insert(100000, 100009);
        await source.UntilCountAsync(written + 10);
        Assert.True((await source.Manager.GetReplicationStatusAsync(None))!.Streaming);
    }

    [Fact]
    public async Task SemiSyncReplica_HasEveryAcknowledgedWrite_WhenTheCommitReturns()
    {
        var source = await NewSourceAsync();
        source.Insert(1, 10);
        var replica = await NewReplicaAsync(source, sync: true);
        await Poll.UntilAsync(() => source.Status("Rpl_semi_sync_master_clients") == "1", "The replica never connected semi-synchronously");
        Assert.Equal("1", replica.ScalarAsAdmin("SELECT @@GLOBAL.rpl_semi_sync_slave_enabled"));
        var acknowledgedBefore = long.Parse(source.Status("Rpl_semi_sync_master_yes_tx")!);

        for (var id = 100; id < 110; id++)
        {
            source.Insert(id, id);
            // No waiting: once the commit returned, the replica has received the transaction.
            var committed = MariaDbReplication.DomainZero(source.ScalarAsAdmin("SELECT @@GLOBAL.gtid_binlog_pos")!);
            var received = MariaDbReplication.DomainZero(Assert.Single(replica.AsAdmin("SHOW SLAVE STATUS"))["Gtid_IO_Pos"]!);
            Assert.True(received >= committed, $"The replica had received up to {received} when the source's commit of {committed} returned.");
        }

        Assert.Equal("ON", source.Status("Rpl_semi_sync_master_status"));
        Assert.True(long.Parse(source.Status("Rpl_semi_sync_master_yes_tx")!) >= acknowledgedBefore + 10);
        await replica.UntilCountAsync(20);

        await replica.RestartGuestAsync();
        Assert.Equal("1", replica.ScalarAsAdmin("SELECT @@GLOBAL.rpl_semi_sync_slave_enabled"));
        await Poll.UntilAsync(() => source.Status("Rpl_semi_sync_master_clients") == "1", "The restarted replica never reconnected semi-synchronously");
    }

    [Fact]
    public async Task SynchronousSet_ACommitThatReturned_IsOnTheReplica_AndWithTheReplicaStoppedCommitsWaitForIt()
    {
        var source = await NewSourceAsync();
        source.Insert(1, 10);
        var replica = await NewReplicaAsync(source, sync: true);
        AssertSourceMode(source, synchronous: true);
        await Poll.UntilAsync(() => source.Status("Rpl_semi_sync_master_clients") == "1", "The replica never connected semi-synchronously");

        for (var id = 100; id < 200; id++)
        {
            source.Insert(id, id);
            var committed = MariaDbReplication.DomainZero(source.ScalarAsAdmin("SELECT @@GLOBAL.gtid_binlog_pos")!);
            var received = MariaDbReplication.DomainZero(Assert.Single(replica.AsAdmin("SHOW SLAVE STATUS"))["Gtid_IO_Pos"]!);
            Assert.True(received >= committed, $"The replica had received up to {received} when the source's commit of {committed} returned.");
        }

        Assert.Equal("ON", source.Status("Rpl_semi_sync_master_status"));
        Assert.Equal("0", source.Status("Rpl_semi_sync_master_no_tx"));
        await replica.UntilCountAsync(110);

        await replica.Manager.StopAsync(None);
        var watch = Stopwatch.StartNew();
        var pending = source.InsertInBackground(1000);
        // A few seconds of nothing is what is asserted here, so this one wait is a fixed one.
        await Task.WhenAny(pending, Task.Delay(TimeSpan.FromSeconds(4)));
        Assert.False(pending.IsCompleted, $"A commit returned with no replica connected: {pending.Exception?.GetBaseException().Message}");
        Assert.Equal(110, source.Count());
        Assert.Equal("ON", source.Status("Rpl_semi_sync_master_status"));

        await replica.Manager.StartAsync(None);
        await pending.WaitAsync(TimeSpan.FromSeconds(60));
        output.WriteLine($"a commit made with the replica stopped returned {watch.Elapsed.TotalSeconds:0.000} s later, once it was back");
        Assert.Equal(111, source.Count());
        await replica.UntilCountAsync(111);
        Assert.Equal("0", source.Status("Rpl_semi_sync_master_no_tx"));
    }

    [Fact]
    public async Task SynchronousSet_SwitchedBackToAsynchronous_ReleasesAWaitingCommit_AndCommitsReturnWithTheReplicaStopped()
    {
        var source = await NewSourceAsync();
        source.Insert(1, 10);
        var replica = await NewReplicaAsync(source, sync: true);
        await Poll.UntilAsync(() => source.Status("Rpl_semi_sync_master_clients") == "1", "The replica never connected semi-synchronously");
        await replica.Manager.StopAsync(None);
        var pending = source.InsertInBackground(1000);
        await Task.WhenAny(pending, Task.Delay(TimeSpan.FromSeconds(2)));
        Assert.False(pending.IsCompleted, "A commit returned with no replica connected.");

        var context = await source.Manager.GetReplicaContextAsync(new ReplicaContextRequest(replica.Instance.Config.InstanceId, Synchronous: false), None);

        Assert.False(MariaDbReplication.IsSemiSync(context));
        Assert.False(context.Data.ContainsKey("sync"));
        await pending.WaitAsync(TimeSpan.FromSeconds(10));
        AssertSourceMode(source, synchronous: false);
        Assert.False(ReplicationState.Load(source.Instance.Config.Paths)!.Synchronous);
        var watch = Stopwatch.StartNew();
        await Task.Run(() => source.Insert(11, 20)).WaitAsync(TimeSpan.FromSeconds(10));
        output.WriteLine($"an asynchronous commit with the replica stopped: {watch.Elapsed.TotalMilliseconds:0} ms");
        Assert.Equal(21, source.Count());

        // The replica, re-attached with the asynchronous context as hoard-server does, catches up and acknowledges nothing.
        await replica.Manager.StartAsync(None);
        await replica.Manager.AttachReplicaAsync(context, None);
        await replica.UntilCountAsync(21);
        Assert.Equal("0", replica.ScalarAsAdmin("SELECT @@GLOBAL.rpl_semi_sync_slave_enabled"));
        await replica.Manager.StopAsync(None);
        await Task.Run(() => source.Insert(21, 30)).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(31, source.Count());
    }

    [Fact]
    public async Task SynchronousMode_SurvivesARestartOfTheSourcesGuest_AndAPromotedReplicaTakesTheModeItIsGiven()
    {
        var source = await NewSourceAsync();
        source.Insert(1, 10);
        var replica = await NewReplicaAsync(source, sync: true);

        await source.RestartGuestAsync();

        Assert.True(ReplicationState.Load(source.Instance.Config.Paths)!.Synchronous);
        AssertSourceMode(source, synchronous: true);
        await Poll.UntilAsync(() => source.Status("Rpl_semi_sync_master_clients") == "1", "The replica never reconnected semi-synchronously");
        source.Insert(11, 20);
        Assert.True(MariaDbReplication.DomainZero(Assert.Single(replica.AsAdmin("SHOW SLAVE STATUS"))["Gtid_IO_Pos"]!)
                    >= MariaDbReplication.DomainZero(source.ScalarAsAdmin("SELECT @@GLOBAL.gtid_binlog_pos")!));
        await replica.Manager.StopAsync(None);
        var pending = source.InsertInBackground(1000);
        await Task.WhenAny(pending, Task.Delay(TimeSpan.FromSeconds(3)));
        Assert.False(pending.IsCompleted, "After a restart of its guest, the source's commit returned with no replica connected.");
        await replica.Manager.StartAsync(None);
        await pending.WaitAsync(TimeSpan.FromSeconds(60));
        await replica.UntilCountAsync(21);

        // Failover: the promoted replica stops acknowledging and waits for no one until its first context says the mode.
        await source.Manager.StopAsync(None);
        await replica.Manager.PromoteAsync(None);
        Assert.Equal("0", replica.ScalarAsAdmin("SELECT @@GLOBAL.rpl_semi_sync_slave_enabled"));
        AssertSourceMode(replica, synchronous: false);
        await Task.Run(() => replica.Insert(21, 30)).WaitAsync(TimeSpan.FromSeconds(10));
        await replica.Manager.GetReplicaContextAsync(new ReplicaContextRequest(source.Instance.Config.InstanceId, Synchronous: true), None);
        AssertSourceMode(replica, synchronous: true);
        var waiting = replica.InsertInBackground(2000);
        await Task.WhenAny(waiting, Task.Delay(TimeSpan.FromSeconds(2)));
        Assert.False(waiting.IsCompleted, "The promoted source, made synchronous, committed with no replica connected.");
        await replica.Manager.GetReplicaContextAsync(new ReplicaContextRequest(source.Instance.Config.InstanceId, Synchronous: false), None);
        await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(32, replica.Count());
    }

    /// <summary>
    /// Making a running set synchronous as hoard-server does (the source first, then the replica attached anew, then the
    /// source asked once more): a commit made while the replica was still connected asynchronously returns once the
    /// source is asked again, instead of waiting for an acknowledgement that would never come.
    /// </summary>
    [Fact]
    public async Task TurningARunningSetSynchronous_ReleasesTheCommitsMadeDuringTheSwitch()
    {
        var source = await NewSourceAsync();
        var replica = await NewReplicaAsync(source);
        source.Insert(1, 5);
        await replica.UntilCountAsync(5);

        var context = await source.Manager.GetReplicaContextAsync(new ReplicaContextRequest(replica.Instance.Config.InstanceId, Synchronous: true), None);
        var stranded = source.InsertInBackground(100);
        await Task.WhenAny(stranded, Task.Delay(TimeSpan.FromSeconds(2)));
        Assert.False(stranded.IsCompleted, "A commit returned with no replica acknowledging.");
        await replica.Manager.AttachReplicaAsync(context, None);
        await source.Manager.GetReplicaContextAsync(new ReplicaContextRequest(replica.Instance.Config.InstanceId, Synchronous: true), None);

        await stranded.WaitAsync(TimeSpan.FromSeconds(10));
        source.Insert(101, 101);
        await replica.UntilCountAsync(7);
    }

    /// <summary>What the running server does and what <c>my.cnf</c> keeps for the next start agree.</summary>
    private static void AssertSourceMode(MariaDbReplicationMember member, bool synchronous)
    {
        var row = member.AsAdmin("SELECT @@GLOBAL.rpl_semi_sync_master_enabled AS enabled, @@GLOBAL.rpl_semi_sync_master_wait_no_slave AS no_slave, " +
                                 "@@GLOBAL.rpl_semi_sync_master_timeout AS timeout, @@GLOBAL.rpl_semi_sync_master_wait_point AS point").Single();
        var expected = MariaDbReplication.SourceSettings(synchronous).ToDictionary(s => s.Key, s => s.Value);
        Assert.Equal(synchronous ? "1" : "0", row["enabled"]);
        Assert.Equal(synchronous ? "1" : "0", row["no_slave"]);
        Assert.Equal(expected["rpl_semi_sync_master_timeout"], row["timeout"]);
        Assert.Equal("AFTER_SYNC", row["point"]);
        var myCnf = File.ReadAllText(MariaDbPaths.For(member.Instance.Config.Paths).ConfigFile);
        foreach (var (key, value) in expected)
            Assert.Contains($"\n{key} = {value}\n", myCnf, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Demote_ThenPromoteAgain_UndoesTheSwitchover()
    {
        var source = await NewSourceAsync();
        source.Insert(1, 10);
        await source.Manager.GetReplicaContextAsync(new ReplicaContextRequest("r1"), None);

        var demoted = await source.Manager.DemoteAsync(None);
        Assert.True(demoted.ReadOnly);
        Assert.Equal(ReadOnlyRefusal, Assert.Throws<MariaDbException>(() => source.Insert(11, 11)).ErrorNumber);
        await Assert.ThrowsAsync<HandlerException>(() => source.Manager.CreateDatabasesAsync([new DatabaseSpec("other")], None));

        var promoted = await source.Manager.PromoteAsync(None);

        Assert.False(promoted.ReadOnly);
        Assert.Equal(demoted.Position, promoted.Position);
        source.Insert(11, 20);
        Assert.Equal(20, source.Count());
    }

    /// <summary>
    /// A replica that has replicated nothing since its snapshot still holds the snapshot's position in its own binary log:
    /// promoted at once, it serves its old source, which stands exactly there.
    /// </summary>
    [Fact]
    public async Task Switchover_RightAfterTheReplicaWasMade_TheOldSourceFollowsTheNewOne()
    {
        var source = await NewSourceAsync();
        source.Insert(1, 5);
        var replica = await NewReplicaAsync(source);

        var final = await source.Manager.DemoteAsync(None);
        await replica.UntilCaughtUpAsync(final.Position);
        await replica.Manager.PromoteAsync(None);
        var context = await replica.Manager.GetReplicaContextAsync(new ReplicaContextRequest(source.Instance.Config.InstanceId), None);
        await source.Manager.AttachReplicaAsync(context, None);

        replica.Insert(6, 8);
        await source.UntilCountAsync(8);
        Assert.Equal(ReadOnlyRefusal, Assert.Throws<MariaDbException>(() => source.Insert(9, 9)).ErrorNumber);
    }

    [Theory]
    [InlineData(MariaDbReplicationRole.Source, "OFF", "OFF")]
    [InlineData(MariaDbReplicationRole.SynchronousSource, "OFF", "OFF")]
    [InlineData(MariaDbReplicationRole.ReadOnly, "ON", "OFF")]
    [InlineData(MariaDbReplicationRole.SemiSyncReplica, "ON", "ON")]
    internal void Config_OfAMember_HasTheBinaryLogStrictGtidsAndItsReadOnlyMode(MariaDbReplicationRole role, string readOnly, string semiSync)
    {
        using var instance = MariaDbInstance.Create();

        var settings = MariaDbConfigTemplate.Settings(instance.Config, 512, null, binaryLog: false, role).ToDictionary(s => s.Key, s => s.Value);

        Assert.Equal(MariaDbConfigTemplate.BinaryLogBase(MariaDbPaths.For(instance.Config.Paths)), settings["log_bin"]);
        Assert.Equal("ROW", settings["binlog_format"]);
        Assert.Equal("ON", settings["log_slave_updates"]);
        Assert.Equal("ON", settings["gtid_strict_mode"]);
        Assert.Equal(readOnly, settings["read_only"]);
        Assert.Equal(semiSync, settings["rpl_semi_sync_slave_enabled"]);
        Assert.Equal(role == MariaDbReplicationRole.SynchronousSource ? "ON" : "OFF", settings["rpl_semi_sync_master_wait_no_slave"]);
        Assert.Equal(role == MariaDbReplicationRole.SynchronousSource ? "ON" : "OFF", settings["rpl_semi_sync_master_enabled"]);
        Assert.DoesNotContain("log_bin", MariaDbConfigTemplate.Settings(instance.Config, 512, null).Select(s => s.Key));
        var refused = Assert.Throws<HandlerException>(() => MariaDbConfigTemplate.Settings(instance.Config, 512, new Dictionary<string, string> { ["gtid_strict_mode"] = "OFF" }, false, role));
        Assert.Equal(GuestErrorCodes.BadRequest, refused.Code);
    }

    [Fact]
    public async Task Status_OfAStandaloneInstance_IsNull_WithoutAServer()
    {
        using var instance = MariaDbInstance.Create();
        await using var manager = instance.CreateManager();

        Assert.Null(await manager.GetReplicationStatusAsync(None));
    }

    private async Task<MariaDbReplicationMember> NewSourceAsync()
    {
        var member = MariaDbReplicationMember.Create();
        _members.Add(member);
        await member.Manager.PrepareAsync(new PrepareRequest("mariadb", "10.11", 512, 1, 1,
            [new DatabaseSpec(MariaDbFixture.Database)], [new UserSpec(MariaDbFixture.User, MariaDbFixture.Password, "%", [MariaDbFixture.Database])]), None);
        using var connection = member.Customer();
        connection.Execute("CREATE TABLE items (id INT PRIMARY KEY, note VARCHAR(64))");
        return member;
    }

    /// <summary>What hoard-server does: the source's context, a fresh full backup of it, and a prepare with both.</summary>
    private async Task<MariaDbReplicationMember> NewReplicaAsync(MariaDbReplicationMember source, bool sync = false)
    {
        var member = MariaDbReplicationMember.Create();
        _members.Add(member);
        var context = await source.Manager.GetReplicaContextAsync(new ReplicaContextRequest(member.Instance.Config.InstanceId, Synchronous: sync), None);
        Assert.Equal(sync, MariaDbReplication.IsSemiSync(context));
        var backupId = Guid.NewGuid().ToString();
        var backup = await source.Manager.CreateBackupAsync(new CreateBackupRequest(backupId, BackupStrategies.MariaDbBackup, receiver.Upload(backupId)), None);
        Assert.True(backup.Metadata.ContainsKey("binlog_gtid"), "The source's backup records no GTID.");
        await member.Manager.PrepareAsync(new PrepareRequest("mariadb", "10.11", 512, 1, 1, [], [],
            Restore: new RestoreSource(BackupStrategies.MariaDbBackup, [receiver.Layer(backupId, backup.Metadata)]), ReplicaOf: context), None);
        return member;
    }
}

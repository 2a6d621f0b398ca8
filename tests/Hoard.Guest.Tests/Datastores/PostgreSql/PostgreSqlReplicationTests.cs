using System.Diagnostics;
using Hoard.Contracts.Bus;
using Hoard.Contracts.Guest;
using Hoard.Guest.Datastores;
using Hoard.Guest.Datastores.PostgreSql;
using Hoard.Guest.Tests.Backups;
using Npgsql;
using Xunit.Abstractions;

namespace Hoard.Guest.Tests.Datastores.PostgreSql;

/// <summary>
/// Streaming replication between real PostgreSQL instances prepared by their own managers, driven the way hoard-server
/// drives it: get_replica_context on the source, prepare with ReplicaOf on the replica, then the role verbs.
/// </summary>
public sealed class PostgreSqlReplicationTests(BackupReceiver receiver, ITestOutputHelper output) : IAsyncLifetime, IClassFixture<BackupReceiver>
{
    private const string Database = "shop";
    private const string User = "alice";
    private const string Password = "Alice-Secret-42";
    private static readonly CancellationToken None = CancellationToken.None;
    private readonly List<Member> _members = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var member in _members)
        {
            await member.Manager.DisposeAsync();
            member.Instance.Dispose();
        }
    }

    [Fact]
    public async Task Replica_FollowsItsSource_RefusesWrites_AndKeepsFollowingAcrossRestarts()
    {
        var source = await CreateSourceAsync();
        Assert.Null(await source.Manager.GetReplicationStatusAsync(None));
        await ExecuteAsync(source, "CREATE TABLE items (id INT PRIMARY KEY)", "INSERT INTO items VALUES (1)");

        var watch = Stopwatch.StartNew();
        var replica = await CreateReplicaAsync(source);
        output.WriteLine($"replica create (get_replica_context + prepare): {watch.Elapsed.TotalSeconds:0.000} s");

        Assert.Equal(ServiceStatus.Healthy, await replica.Manager.ProbeAsync(None));
        Assert.Equal(1L, await ScalarAsync(replica, "SELECT count(*) FROM items"));
        await ExecuteAsync(source, "INSERT INTO items VALUES (2)");
        await UntilCountAsync(replica, 2);
        var refused = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(replica, "INSERT INTO items VALUES (100)"));
        Assert.Equal(PostgresErrorCodes.ReadOnlySqlTransaction, refused.SqlState);
        var verb = await Assert.ThrowsAsync<HandlerException>(() => replica.Manager.CreateDatabasesAsync([new DatabaseSpec("other")], None));
        Assert.Equal(GuestErrorCodes.BadRequest, verb.Code);
        Assert.Equal([User], (await replica.Manager.ListUsersAsync(None)).Select(u => u.Name));
        Assert.Equal([User], (await source.Manager.ListUsersAsync(None)).Select(u => u.Name));

        var sourceStatus = await CaughtUpAsync(source, replica);
        Assert.Equal(ReplicationRoles.Source, sourceStatus.Role);
        Assert.False(sourceStatus.ReadOnly);
        var status = (await replica.Manager.GetReplicationStatusAsync(None))!;
        Assert.Equal(ReplicationRoles.Replica, status.Role);
        Assert.True(status.Streaming);
        Assert.True(status.ReadOnly);
        Assert.Equal(0d, status.LagSeconds);
        Assert.Null(status.Error);
        Assert.Equal($"127.0.0.1:{source.Instance.Config.Port}", status.SourceHost);
        Assert.True(status.Position >= sourceStatus.Position, $"replica at {status.PositionText}, source at {sourceStatus.PositionText}");
        Assert.Equal("true", await SlotActiveAsync(source, replica));
        var context = await source.Manager.GetReplicaContextAsync(new ReplicaContextRequest(replica.Id), None);
        Assert.DoesNotContain(context.Password, await File.ReadAllTextAsync(Path.Combine(replica.Instance.Config.Paths.Data, "pgdata", "postgresql.auto.conf")));
        Assert.DoesNotContain(replica.Instance.LogLines.Concat(source.Instance.LogLines), line => line.Contains(context.Password, StringComparison.Ordinal));
        var keep = await AdminScalarAsync(source, "SHOW max_slot_wal_keep_size");
        output.WriteLine($"max_slot_wal_keep_size on the source: {keep}");
        Assert.NotEqual("-1", keep);

        // A new guest process (the old one went away and stopped its server) starts the replica again: it follows on.
        await replica.Manager.DisposeAsync();
        replica.Manager = replica.Instance.CreateManager();
        await replica.Manager.StartAsync(None);
        await ExecuteAsync(source, "INSERT INTO items VALUES (3)");
        await UntilCountAsync(replica, 3);

        await source.Manager.RestartAsync(None);
        await ExecuteAsync(source, "INSERT INTO items VALUES (4)");
        await UntilCountAsync(replica, 4);

        // A crashed replica server is restarted by its supervisor, still a standby of the same source.
        var supervisor = replica.Manager.Server.Supervisor!;
        var pid = supervisor.Pid!.Value;
        Process.GetProcessById(pid).Kill();
        await Poll.UntilAsync(async () => supervisor.Pid is { } now && now != pid && await replica.Manager.ProbeAsync(None) == ServiceStatus.Healthy,
            "the killed replica server was not restarted and healthy");
        await ExecuteAsync(source, "INSERT INTO items VALUES (5)");
        await UntilCountAsync(replica, 5);
        await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(replica, "INSERT INTO items VALUES (100)"));
        await CaughtUpAsync(source, replica);

        await source.Manager.ForgetReplicaAsync(replica.Id, None);
        Assert.Null(await SlotActiveAsync(source, replica));
        await source.Manager.ForgetReplicaAsync(replica.Id, None);
        await Poll.UntilAsync(async () => await replica.Manager.GetReplicationStatusAsync(None) is { Streaming: false, Error: not null },
            "the replica whose slot was dropped never reported that it stopped streaming");
        output.WriteLine($"after forget_replica the replica reports: {(await replica.Manager.GetReplicationStatusAsync(None))!.Error}");
    }

    [Fact]
    public async Task Switchover_LosesNoWrite_TheOldSourceFollowsTheNewOne_AndTheOtherReplicaIsRepointed()
    {
        var source = await CreateSourceAsync();
        await ExecuteAsync(source, "CREATE TABLE items (id INT PRIMARY KEY)");
        var chosen = await CreateReplicaAsync(source);
        var other = await CreateReplicaAsync(source);
        await ExecuteAsync(source, "INSERT INTO items SELECT g FROM generate_series(1, 5000) g");
        // A client writing one row per transaction until the demote cuts it off: every write it was told committed must survive.
        var acknowledged = 5000;
        var writing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var writer = Task.Run(async () =>
        {
            await using var connection = await source.Instance.ConnectTcpAsync(User, Password, Database);
            try
            {
                for (var id = 5001; ; id++)
                {
                    await using var command = new NpgsqlCommand($"INSERT INTO items VALUES ({id})", connection);
                    await command.ExecuteNonQueryAsync(None);
                    acknowledged = id;
                    if (id == 5100)
                        writing.SetResult();
                }
            }
            catch (NpgsqlException)
            {
                writing.TrySetResult();
            }
        });
        await writing.Task;

        var watch = Stopwatch.StartNew();
        var demoted = await source.Manager.DemoteAsync(None);
        var demoteTime = watch.Elapsed;
        await writer;
        Assert.True(demoted.ReadOnly);
        var refused = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(source, "INSERT INTO items VALUES (0)"));
        Assert.Equal(PostgresErrorCodes.ReadOnlySqlTransaction, refused.SqlState);
        await Poll.UntilAsync(async () => (await chosen.Manager.GetReplicationStatusAsync(None))!.Position >= demoted.Position,
            $"the replica never reached the demoted source's final position {demoted.PositionText}");
        var promoted = await chosen.Manager.PromoteAsync(None);
        await source.Manager.AttachReplicaAsync(await chosen.Manager.GetReplicaContextAsync(new ReplicaContextRequest(source.Id), None), None);
        await other.Manager.AttachReplicaAsync(await chosen.Manager.GetReplicaContextAsync(new ReplicaContextRequest(other.Id), None), None);
        output.WriteLine($"switchover: {watch.Elapsed.TotalSeconds:0.000} s (demote {demoteTime.TotalSeconds:0.000} s, final position {demoted.PositionText}, " +
                         $"new source at {promoted.PositionText})");

        Assert.Equal(ReplicationRoles.Source, promoted.Role);
        Assert.False(promoted.ReadOnly);
        output.WriteLine($"the writer had {acknowledged - 5000} rows acknowledged before the demote stopped it");
        Assert.True(acknowledged >= 5100);
        Assert.Equal((long)acknowledged, await ScalarAsync(chosen, $"SELECT count(*) FROM items WHERE id <= {acknowledged}"));
        // The insert the shutdown interrupted may have committed without its client hearing so; nothing after it.
        var rows = (long)(await ScalarAsync(chosen, "SELECT count(*) FROM items"))!;
        Assert.InRange(rows, acknowledged, acknowledged + 1);
        var next = (int)rows + 1;
        await ExecuteAsync(chosen, $"INSERT INTO items VALUES ({next})");
        await UntilCountAsync(source, next);
        await UntilCountAsync(other, next);
        refused = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(source, "INSERT INTO items VALUES (0)"));
        Assert.Equal(PostgresErrorCodes.ReadOnlySqlTransaction, refused.SqlState);

        await CaughtUpAsync(chosen, source, other);
        foreach (var follower in new[] { source, other })
        {
            var status = (await follower.Manager.GetReplicationStatusAsync(None))!;
            Assert.Equal(ReplicationRoles.Replica, status.Role);
            Assert.True(status.Streaming);
            Assert.True(status.ReadOnly);
            Assert.Equal($"127.0.0.1:{chosen.Instance.Config.Port}", status.SourceHost);
            Assert.Equal("true", await SlotActiveAsync(chosen, follower));
        }

        Assert.Equal(0L, await SlotCountAsync(source));
        Assert.Equal(2L, await SlotCountAsync(chosen));

        // The old source keeps following the new one after its guest restarts.
        await source.Manager.DisposeAsync();
        source.Manager = source.Instance.CreateManager();
        await source.Manager.StartAsync(None);
        await ExecuteAsync(chosen, $"INSERT INTO items VALUES ({next + 1})");
        await UntilCountAsync(source, next + 1);

        await chosen.Manager.ForgetReplicaAsync(other.Id, None);
        Assert.Null(await SlotActiveAsync(chosen, other));
    }

    [Fact]
    public async Task DemoteUndone_ThenPromote_DetachesAWritableReplica()
    {
        var source = await CreateSourceAsync();
        await ExecuteAsync(source, "CREATE TABLE items (id INT PRIMARY KEY)", "INSERT INTO items VALUES (1)");
        var replica = await CreateReplicaAsync(source);

        // A switchover that does not go ahead: the demoted source is promoted again and its replica follows on.
        var demoted = await source.Manager.DemoteAsync(None);
        Assert.Equal(demoted, await source.Manager.DemoteAsync(None));
        // A demoted source stays read-only when its guest restarts.
        await source.Manager.DisposeAsync();
        source.Manager = source.Instance.CreateManager();
        await source.Manager.StartAsync(None);
        Assert.Equal(demoted, await source.Manager.GetReplicationStatusAsync(None));
        await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(source, "INSERT INTO items VALUES (2)"));
        var undone = await source.Manager.PromoteAsync(None);
        Assert.False(undone.ReadOnly);
        await ExecuteAsync(source, "INSERT INTO items VALUES (2)");
        await UntilCountAsync(replica, 2);

        var watch = Stopwatch.StartNew();
        var promoted = await replica.Manager.PromoteAsync(None);
        output.WriteLine($"promote: {watch.Elapsed.TotalSeconds:0.000} s");
        Assert.Equal(ReplicationRoles.Source, promoted.Role);
        Assert.False(promoted.ReadOnly);
        await ExecuteAsync(replica, "INSERT INTO items VALUES (3)");
        Assert.Equal(3L, await ScalarAsync(replica, "SELECT count(*) FROM items"));
        Assert.Equal(promoted, await replica.Manager.PromoteAsync(None) with { Position = promoted.Position, PositionText = promoted.PositionText });
        Assert.DoesNotContain("primary_conninfo", await File.ReadAllTextAsync(Path.Combine(replica.Instance.Config.Paths.Data, "pgdata", "postgresql.auto.conf")));

        // A restarted detached replica stays writable and follows nobody.
        await replica.Manager.RestartAsync(None);
        await ExecuteAsync(replica, "INSERT INTO items VALUES (4)");
        await ExecuteAsync(source, "INSERT INTO items VALUES (5)");
        Assert.Equal(4L, await ScalarAsync(replica, "SELECT count(*) FROM items"));

        await Poll.UntilAsync(async () => await SlotActiveAsync(source, replica) == "false", "the detached replica's slot never became inactive");
        await source.Manager.ForgetReplicaAsync(replica.Id, None);
        Assert.Null(await SlotActiveAsync(source, replica));
    }

    [Fact]
    public async Task Failover_PromotesTheMostAdvancedReplica_AndRepointsTheOther()
    {
        var source = await CreateSourceAsync();
        await ExecuteAsync(source, "CREATE TABLE items (id INT PRIMARY KEY)");
        var first = await CreateReplicaAsync(source);
        var second = await CreateReplicaAsync(source);
        await ExecuteAsync(source, "INSERT INTO items SELECT g FROM generate_series(1, 100) g");
        await CaughtUpAsync(source, first, second);
        await source.Manager.StopAsync(None);

        var positions = new List<(Member Member, long Position)>();
        foreach (var member in new[] { first, second })
            positions.Add((member, (await member.Manager.GetReplicationStatusAsync(None))!.Position));
        var chosen = positions.MaxBy(p => p.Position).Member;
        var rest = positions.Select(p => p.Member).Single(m => m != chosen);
        await chosen.Manager.PromoteAsync(None);
        await rest.Manager.AttachReplicaAsync(await chosen.Manager.GetReplicaContextAsync(new ReplicaContextRequest(rest.Id), None), None);

        await ExecuteAsync(chosen, "INSERT INTO items VALUES (101)");
        await UntilCountAsync(rest, 101);
        Assert.Equal($"127.0.0.1:{chosen.Instance.Config.Port}", (await rest.Manager.GetReplicationStatusAsync(None))!.SourceHost);
    }

    [Fact]
    public async Task Attach_RefusesAWritableInstance_AndContextRefusesAReadOnlyOne()
    {
        var source = await CreateSourceAsync();
        var replica = await CreateReplicaAsync(source);
        var other = await CreateSourceAsync();
        var standalone = await other.Manager.PromoteAsync(None);
        Assert.Null(standalone.Role);
        Assert.False(standalone.ReadOnly);
        Assert.Null(await other.Manager.GetReplicationStatusAsync(None));
        var context = await other.Manager.GetReplicaContextAsync(new ReplicaContextRequest(source.Id), None);

        var error = await Assert.ThrowsAsync<HandlerException>(() => source.Manager.AttachReplicaAsync(context, None));
        Assert.Equal(GuestErrorCodes.BadRequest, error.Code);
        error = await Assert.ThrowsAsync<HandlerException>(() => replica.Manager.GetReplicaContextAsync(new ReplicaContextRequest(other.Id), None));
        Assert.Equal(GuestErrorCodes.BadRequest, error.Code);
        Assert.DoesNotContain(source.Instance.LogLines, line => line.Contains(context.Password, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Replica_OfASourceWithABiggerFlavor_StartsWithTheSourcesConnectionLimit()
    {
        var source = await CreateSourceAsync(memoryMb: 2048);
        await ExecuteAsync(source, "CREATE TABLE items (id INT PRIMARY KEY)", "INSERT INTO items VALUES (1)");
        var replica = await CreateReplicaAsync(source);

        Assert.Equal(1L, await ScalarAsync(replica, "SELECT count(*) FROM items"));
        Assert.Equal(await ScalarAsync(source, "SHOW max_connections"), await ScalarAsync(replica, "SHOW max_connections"));
        Assert.Equal(ServiceStatus.Healthy, await replica.Manager.ProbeAsync(None));
    }

    [Fact]
    public async Task Backups_OfASourceAndOfItsReplica_RestoreTheReplicatedData()
    {
        var source = await CreateSourceAsync();
        await ExecuteAsync(source, "CREATE TABLE items (id INT PRIMARY KEY)", "INSERT INTO items SELECT g FROM generate_series(1, 300) g");
        var replica = await CreateReplicaAsync(source);
        await CaughtUpAsync(source, replica);

        foreach (var member in new[] { source, replica })
        {
            var id = Guid.NewGuid().ToString();
            var result = await member.Manager.CreateBackupAsync(new CreateBackupRequest(id, BackupStrategies.PgBaseBackup, receiver.Upload(id)), None);
            var restored = new Member(PostgreSqlInstance.Create(), null!);
            restored.Manager = restored.Instance.CreateManager();
            _members.Add(restored);
            await restored.Manager.PrepareAsync(new PrepareRequest("postgresql", "15", 512, 1, 1, [], [],
                Restore: new RestoreSource(BackupStrategies.PgBaseBackup, [receiver.Layer(id, result.Metadata)])), None);

            Assert.Equal(300L, await ScalarAsync(restored, "SELECT count(*) FROM items"));
            Assert.Null(await restored.Manager.GetReplicationStatusAsync(None));
            var error = await Assert.ThrowsAsync<PostgresException>(() => restored.Instance.ConnectTcpAsync(PostgreSqlReplication.User, "anything", "postgres"));
            Assert.Equal(PostgresErrorCodes.InvalidAuthorizationSpecification, error.SqlState);
        }
    }

    [Fact]
    public void MemberHba_LetsOnlyOsReplStreamOverTcp_AndTrustsNobody()
    {
        var lines = PostgreSqlConfigTemplate.RenderHba(replicationMember: true).Split('\n').Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => string.Join(' ', l.Split(' ', StringSplitOptions.RemoveEmptyEntries))).ToList();

        Assert.DoesNotContain(lines, l => l.Contains("trust", StringComparison.Ordinal));
        Assert.Equal(["host replication os_repl 0.0.0.0/0 scram-sha-256", "host replication os_repl ::/0 scram-sha-256"],
            lines.Where(l => l.StartsWith("host replication", StringComparison.Ordinal)));
        Assert.True(lines.IndexOf("host all os_repl all reject") < lines.IndexOf("host all all 0.0.0.0/0 scram-sha-256"));
        Assert.Contains("local all os_admin peer map=guest", lines);
        Assert.Contains("guest dbaas os_admin", PostgreSqlConfigTemplate.RenderIdent(["dbaas"], admin: true), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Synchronous_ACommitThatReturnedIsOnTheReplica_AndWithTheReplicaStoppedCommitsWaitUntilItIsBack()
    {
        var source = await CreateSourceAsync();
        await ExecuteAsync(source, "CREATE TABLE items (id INT PRIMARY KEY)");
        var replica = await CreateReplicaAsync(source, synchronous: true);
        var other = await CreateReplicaAsync(source, synchronous: true);
        var both = new[] { Slot(replica), Slot(other) }.Order(StringComparer.Ordinal).Select(slot => $"\"{slot}\"");
        Assert.Equal($"ANY 1 ({string.Join(", ", both)})", await AdminScalarAsync(source, "SHOW synchronous_standby_names"));
        Assert.Equal("true", (await source.Manager.GetReplicaContextAsync(new ReplicaContextRequest(replica.Id, true), None)).Data[PostgreSqlReplication.SyncKey]);
        Assert.True(ReplicationState.Load(source.Instance.Config.Paths)!.Synchronous);

        // forget_replica keeps the names current: the replica left is the only one a commit can wait for.
        await source.Manager.ForgetReplicaAsync(other.Id, None);
        await other.Manager.StopAsync(None);
        Assert.Equal($"ANY 1 (\"{Slot(replica)}\")", await AdminScalarAsync(source, "SHOW synchronous_standby_names"));
        Assert.Equal("on", await AdminScalarAsync(source, "SHOW synchronous_commit"));
        await Poll.UntilAsync(async () => await AdminScalarAsync(source, "SELECT sync_state FROM pg_stat_replication WHERE application_name = '" + Slot(replica) + "'") == "quorum",
            "the replica never became a synchronous (quorum) standby");

        // After every commit the replica has flushed at least everything written before the commit record.
        await using (var writer = await source.Instance.ConnectTcpAsync(User, Password, Database))
        await using (var reader = await replica.Instance.ConnectTcpAsync(User, Password, Database))
        {
            var watch = Stopwatch.StartNew();
            for (var id = 1; id <= 300; id++)
            {
                await using var transaction = await writer.BeginTransactionAsync(None);
                await using (var insert = new NpgsqlCommand($"INSERT INTO items VALUES ({id})", writer, transaction))
                    await insert.ExecuteNonQueryAsync(None);
                await using var position = new NpgsqlCommand("SELECT pg_current_wal_insert_lsn()::text", writer, transaction);
                var before = (string)(await position.ExecuteScalarAsync(None))!;
                await transaction.CommitAsync(None);

                await using var flushed = new NpgsqlCommand("SELECT pg_last_wal_receive_lsn() >= $1::pg_lsn, pg_last_wal_receive_lsn()::text", reader);
                flushed.Parameters.Add(new NpgsqlParameter { Value = before });
                await using var result = await flushed.ExecuteReaderAsync(None);
                await result.ReadAsync(None);
                Assert.True(result.GetBoolean(0), $"commit {id} returned at {before} but the replica had flushed only to {result.GetString(1)}");
            }

            output.WriteLine($"300 synchronous commits, each checked on the replica: {watch.Elapsed.TotalSeconds:0.000} s");
        }

        await replica.Manager.StopAsync(None);
        var pending = ExecuteAsync(source, "INSERT INTO items VALUES (1000)");
        await UntilWaitingForAReplicaAsync(source);
        Assert.False(await CompletesWithinAsync(pending, TimeSpan.FromSeconds(3)), "a commit returned with no replica connected");
        // The context for a replica rebuilt meanwhile (a failover's) does not wait for the missing one.
        var rebuilt = Guid.NewGuid().ToString();
        Assert.True(await CompletesWithinAsync(source.Manager.GetReplicaContextAsync(new ReplicaContextRequest(rebuilt, true), None), TimeSpan.FromSeconds(10)),
            "get_replica_context hung on a synchronous source with no replica connected");
        await source.Manager.ForgetReplicaAsync(rebuilt, None);
        Assert.False(pending.IsCompleted, "a commit returned with no replica connected");

        await replica.Manager.DisposeAsync();
        replica.Manager = replica.Instance.CreateManager();
        var watchBack = Stopwatch.StartNew();
        await replica.Manager.StartAsync(None);
        Assert.True(await CompletesWithinAsync(pending, TimeSpan.FromSeconds(30)), "the waiting commit never returned once the replica was back");
        await pending;
        output.WriteLine($"the waiting commit returned {watchBack.Elapsed.TotalSeconds:0.000} s after the replica's guest started again");
        await UntilCountAsync(replica, 301);
    }

    [Fact]
    public async Task Synchronous_SurvivesARestartOfTheSourcesGuest_AndTurnedOffCommitsReturnWithTheReplicaStopped()
    {
        var source = await CreateSourceAsync();
        await ExecuteAsync(source, "CREATE TABLE items (id INT PRIMARY KEY)");
        var replica = await CreateReplicaAsync(source, synchronous: true);

        await source.Manager.DisposeAsync();
        source.Manager = source.Instance.CreateManager();
        await source.Manager.StartAsync(None);
        Assert.True(ReplicationState.Load(source.Instance.Config.Paths)!.Synchronous);
        Assert.Equal($"ANY 1 (\"{Slot(replica)}\")", await AdminScalarAsync(source, "SHOW synchronous_standby_names"));
        await ExecuteAsync(source, "INSERT INTO items VALUES (1)");
        await UntilCountAsync(replica, 1);

        // A configuration group cannot weaken a synchronous set's commits, only strengthen them.
        foreach (var (group, effective) in new[] { ("off", "on"), ("remote_apply", "remote_apply"), ("local", "on") })
        {
            await source.Manager.UpdateOverridesAsync(new UpdateOverridesRequest(512, new Dictionary<string, string> { ["synchronous_commit"] = group }, []), None);
            Assert.Equal(effective, await AdminScalarAsync(source, "SHOW synchronous_commit"));
        }

        await replica.Manager.StopAsync(None);
        var pending = ExecuteAsync(source, "INSERT INTO items VALUES (2)");
        await UntilWaitingForAReplicaAsync(source);
        Assert.False(await CompletesWithinAsync(pending, TimeSpan.FromSeconds(3)), "after the restart, a commit returned with no replica connected");

        // Asynchronous again: the waiting commit is released and new ones return at once.
        var context = await source.Manager.GetReplicaContextAsync(new ReplicaContextRequest(replica.Id, Synchronous: false), None);
        Assert.False(context.Data.ContainsKey(PostgreSqlReplication.SyncKey));
        Assert.True(await CompletesWithinAsync(pending, TimeSpan.FromSeconds(10)), "the waiting commit was not released by the switch to asynchronous");
        await pending;
        var watch = Stopwatch.StartNew();
        await ExecuteAsync(source, "INSERT INTO items VALUES (3)", "INSERT INTO items VALUES (4)");
        output.WriteLine($"two asynchronous commits with the replica stopped: {watch.Elapsed.TotalSeconds:0.000} s");
        Assert.Equal("", await AdminScalarAsync(source, "SHOW synchronous_standby_names"));
        Assert.False(ReplicationState.Load(source.Instance.Config.Paths)!.Synchronous);

        await source.Manager.RestartAsync(None);
        await ExecuteAsync(source, "INSERT INTO items VALUES (5)");
        Assert.Equal("", await AdminScalarAsync(source, "SHOW synchronous_standby_names"));

        await replica.Manager.DisposeAsync();
        replica.Manager = replica.Instance.CreateManager();
        await replica.Manager.StartAsync(None);
        await UntilCountAsync(replica, 5);
    }

    [Fact]
    public async Task Synchronous_Switchover_ThePromotedReplicaCommitsAtOnce_UntilAContextMakesItSynchronous()
    {
        var source = await CreateSourceAsync();
        await ExecuteAsync(source, "CREATE TABLE items (id INT PRIMARY KEY)", "INSERT INTO items VALUES (1)");
        var replica = await CreateReplicaAsync(source, synchronous: true);
        Assert.Equal("", await AdminScalarAsync(replica, "SHOW synchronous_standby_names"));

        var demoted = await source.Manager.DemoteAsync(None);
        Assert.Equal("", await AdminScalarAsync(source, "SHOW synchronous_standby_names"));
        Assert.False(ReplicationState.Load(source.Instance.Config.Paths)!.Synchronous);
        await Poll.UntilAsync(async () => (await replica.Manager.GetReplicationStatusAsync(None))!.Position >= demoted.Position,
            $"the replica never reached the demoted source's final position {demoted.PositionText}");
        await replica.Manager.PromoteAsync(None);
        // Nobody follows it yet: asynchronous until hoard-server's next context says otherwise.
        Assert.True(await CompletesWithinAsync(ExecuteAsync(replica, "INSERT INTO items VALUES (2)"), TimeSpan.FromSeconds(10)),
            "the promoted replica's commit waited for a replica");

        var context = await replica.Manager.GetReplicaContextAsync(new ReplicaContextRequest(source.Id, Synchronous: true), None);
        Assert.Equal($"ANY 1 (\"{Slot(source)}\")", await AdminScalarAsync(replica, "SHOW synchronous_standby_names"));
        await source.Manager.AttachReplicaAsync(context, None);
        await ExecuteAsync(replica, "INSERT INTO items VALUES (3)");
        await UntilCountAsync(source, 3);
        Assert.True(ReplicationState.Load(replica.Instance.Config.Paths)!.Synchronous);

        // The demoted source promoted back (a switchover undone) does not wait either.
        var undone = await source.Manager.PromoteAsync(None);
        Assert.False(undone.ReadOnly);
        Assert.True(await CompletesWithinAsync(ExecuteAsync(source, "INSERT INTO items VALUES (4)"), TimeSpan.FromSeconds(10)),
            "the promoted old source's commit waited for a replica");
    }

    private static string Slot(Member member) => PostgreSqlReplication.SlotName(member.Id);

    private static async Task<bool> CompletesWithinAsync(Task task, TimeSpan time) => await Task.WhenAny(task, Task.Delay(time)) == task;

    private static Task UntilWaitingForAReplicaAsync(Member source) =>
        Poll.UntilAsync(async () => await AdminScalarAsync(source, "SELECT count(*)::text FROM pg_stat_activity WHERE wait_event = 'SyncRep'") != "0",
            "no commit on the source ever waited for a synchronous replica (wait event SyncRep)");

    private async Task<Member> CreateSourceAsync(int memoryMb = 512)
    {
        var instance = PostgreSqlInstance.Create();
        var member = new Member(instance, instance.CreateManager());
        _members.Add(member);
        await member.Manager.PrepareAsync(new PrepareRequest("postgresql", "15", memoryMb, 1, 1,
            [new DatabaseSpec(Database)], [new UserSpec(User, Password, "%", [Database])]), None);
        return member;
    }

    private async Task<Member> CreateReplicaAsync(Member source, bool synchronous = false)
    {
        var instance = PostgreSqlInstance.Create();
        var member = new Member(instance, instance.CreateManager());
        _members.Add(member);
        var context = await source.Manager.GetReplicaContextAsync(new ReplicaContextRequest(member.Id, synchronous), None);
        await member.Manager.PrepareAsync(new PrepareRequest("postgresql", "15", 512, 1, 1, [], [], ReplicaOf: context), None);
        return member;
    }

    /// <summary>Waits until every follower replayed as far as the source has written; the source's report.</summary>
    private static async Task<ReplicationReport> CaughtUpAsync(Member source, params Member[] followers)
    {
        var target = (await source.Manager.GetReplicationStatusAsync(None))!;
        foreach (var follower in followers)
        {
            await Poll.UntilAsync(async () => await follower.Manager.GetReplicationStatusAsync(None) is { } s && s.Position >= target.Position && s.LagSeconds == 0,
                $"a replica never caught up with {target.PositionText}");
        }

        return target;
    }

    private static Task UntilCountAsync(Member member, long count) =>
        Poll.UntilAsync(async () => await ScalarAsync(member, "SELECT count(*) FROM items") is long n && n == count,
            $"{member.Id} never had {count} rows");

    private static async Task<string?> SlotActiveAsync(Member source, Member replica)
    {
        await using var admin = await source.Manager.Server.OpenAdminAsync("postgres", TimeSpan.FromSeconds(10), None);
        await using var command = new NpgsqlCommand("SELECT active::text FROM pg_replication_slots WHERE slot_name = $1", admin);
        command.Parameters.Add(new NpgsqlParameter { Value = PostgreSqlReplication.SlotName(replica.Id) });
        return (string?)await command.ExecuteScalarAsync(None);
    }

    private static async Task<string?> AdminScalarAsync(Member member, string sql)
    {
        await using var admin = await member.Manager.Server.OpenAdminAsync("postgres", TimeSpan.FromSeconds(10), None);
        await using var command = new NpgsqlCommand(sql, admin);
        return (string?)await command.ExecuteScalarAsync(None);
    }

    private static async Task<long> SlotCountAsync(Member member)
    {
        await using var admin = await member.Manager.Server.OpenAdminAsync("postgres", TimeSpan.FromSeconds(10), None);
        await using var command = new NpgsqlCommand("SELECT count(*) FROM pg_replication_slots", admin);
        return (long)(await command.ExecuteScalarAsync(None))!;
    }

    private static async Task ExecuteAsync(Member member, params string[] statements)
    {
        await using var connection = await member.Instance.ConnectTcpAsync(User, Password, Database);
        foreach (var sql in statements)
        {
            await using var command = new NpgsqlCommand(sql, connection);
            await command.ExecuteNonQueryAsync(None);
        }
    }

    private static async Task<object?> ScalarAsync(Member member, string sql)
    {
        await using var connection = await member.Instance.ConnectTcpAsync(User, Password, Database);
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync(None);
    }

    private sealed class Member(PostgreSqlInstance instance, PostgreSqlManager manager)
    {
        public PostgreSqlInstance Instance { get; } = instance;

        public PostgreSqlManager Manager { get; set; } = manager;

        public string Id => Instance.Config.InstanceId;
    }
}

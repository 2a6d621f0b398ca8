using System.Collections.Concurrent;
using Dapper;
using Hoard.Core.Tests.Persistence;
using Hoard.Core.Workflows;
using Hoard.Persistence;
using Hoard.Tests.Shared;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hoard.Core.Tests.Workflows;

/// <summary>
/// Several task managers on one state DB (real SQLite and PostgreSQL, as processes share them): a workflow is claimed by one engine only,
/// taken over once its owner's lease has expired, and an engine that lost its lease neither saves nor keeps running.
/// </summary>
public abstract class WorkflowClaimTests(Func<Task<TestStateDb>> create) : StateDbTests(create)
{
    private WorkflowStore _store = null!;

    protected override Task InitializeStoresAsync()
    {
        _store = new WorkflowStore(Db);
        return Task.CompletedTask;
    }

    [StateDbFact]
    public async Task TwoEngines_OneWorkflow_EachStepRunsOnce_ByOneOwner()
    {
        var ran = new ConcurrentQueue<(string Step, string Owner)>();
        var workflow = new ScriptedWorkflow("twice",
            new WorkflowStep("one", TimeSpan.FromSeconds(10), async (c, ct) =>
            {
                ran.Enqueue(("one", Owner(c)));
                await Task.Delay(300, ct);
                return StepOutcome.Next;
            }),
            new WorkflowStep("two", TimeSpan.FromSeconds(10), (c, _) =>
            {
                ran.Enqueue(("two", Owner(c)));
                return Task.FromResult(StepOutcome.Next);
            }));
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add(await InsertAsync("twice", $"i-{i}"));
        }

        await using (var a = Run("tm-a", TimeSpan.FromSeconds(15), workflow))
        await using (var b = Run("tm-b", TimeSpan.FromSeconds(15), workflow))
        {
            a.Engine.Poke();
            b.Engine.Poke();
            await Poll.UntilAsync(async () => (await RowsAsync(ids)).All(r => r.Status == WorkflowStatus.Succeeded),
                "Not every workflow succeeded", 30);
        }

        Assert.Equal(5, workflow.Runs("one"));
        Assert.Equal(5, workflow.Runs("two"));
        foreach (var row in await RowsAsync(ids))
        {
            Assert.Contains(row.Owner, new[] { "tm-a", "tm-b" });
        }
    }

    [StateDbFact]
    public async Task ExpiredLease_IsTakenOver_AtTheStepItsOwnerReached()
    {
        var id = await InsertAsync("resume", "i-resume");
        // A task manager that claimed it, saved step 1, and died: its lease runs out in 1.5 s.
        var claimedAt = DateTimeOffset.UtcNow;
        var dead = await _store.TryClaimAsync(id, "tm-dead", claimedAt, claimedAt.AddSeconds(1.5), CancellationToken.None);
        Assert.NotNull(dead);
        dead.Step = 1;
        dead.Data = """{"from_dead":"yes"}""";
        dead.LeaseExpires = claimedAt.AddSeconds(1.5);
        await _store.SaveAsync(dead, CancellationToken.None);

        DateTimeOffset? resumedAt = null;
        var workflow = new ScriptedWorkflow("resume",
            ScriptedWorkflow.Step("already_done", _ => StepOutcome.Next),
            ScriptedWorkflow.Step("finish", c =>
            {
                resumedAt ??= DateTimeOffset.UtcNow;
                Assert.Equal("yes", c.GetString("from_dead"));
                return StepOutcome.Next;
            }));
        await using (Run("tm-live", TimeSpan.FromSeconds(15), workflow))
        {
            await Poll.UntilAsync(async () => (await RowsAsync([id]))[0].Status == WorkflowStatus.Succeeded, "The live engine never finished it", 15);
        }

        Assert.Equal(0, workflow.Runs("already_done"));
        Assert.Equal(1, workflow.Runs("finish"));
        Assert.True(resumedAt >= claimedAt.AddSeconds(1.5), $"taken over at {resumedAt:O}, before the lease ended at {claimedAt.AddSeconds(1.5):O}");
        Assert.Equal("tm-live", (await RowsAsync([id]))[0].Owner);
    }

    [StateDbFact]
    public async Task Store_RefusesClaimWhileLeased_AndFencesSavesAndRenewalsOfTheOwnerThatLostIt()
    {
        var id = await InsertAsync("fence", "i-fence");
        var now = DateTimeOffset.UtcNow;
        var a = await _store.TryClaimAsync(id, "tm-a", now, now.AddSeconds(10), CancellationToken.None);
        Assert.NotNull(a);
        Assert.Null(await _store.TryClaimAsync(id, "tm-b", now.AddSeconds(5), now.AddSeconds(20), CancellationToken.None));

        // tm-a stalls past its lease; tm-b takes over and saves progress.
        var b = await _store.TryClaimAsync(id, "tm-b", now.AddSeconds(11), now.AddSeconds(30), CancellationToken.None);
        Assert.NotNull(b);
        b.Step = 2;
        b.LeaseExpires = now.AddSeconds(30);
        await _store.SaveAsync(b, CancellationToken.None);

        a.Step = 1;
        a.Data = """{"stale":true}""";
        await Assert.ThrowsAsync<WorkflowAbandonedException>(() => _store.SaveAsync(a, CancellationToken.None));
        Assert.Empty(await _store.RenewAsync("tm-a", [id], now.AddSeconds(40), CancellationToken.None));
        Assert.Equal([id], await _store.RenewAsync("tm-b", [id], now.AddSeconds(40), CancellationToken.None));

        var row = (await RowsAsync([id]))[0];
        Assert.Equal(("tm-b", 2), (row.Owner, row.Step));
        Assert.DoesNotContain("stale", row.Data);
    }

    [StateDbFact]
    public async Task Engine_ThatLosesItsLease_StopsTheRunningStep_AndWritesNothingMore()
    {
        var id = await InsertAsync("lost", "i-lost");
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var workflow = new ScriptedWorkflow("lost",
            new WorkflowStep("long", TimeSpan.FromMinutes(5), async (_, ct) =>
            {
                started.TrySetResult();
                try
                {
                    await Task.Delay(Timeout.Infinite, ct);
                }
                finally
                {
                    stopped.TrySetResult();
                }

                return StepOutcome.Next;
            }),
            ScriptedWorkflow.Step("after", _ => StepOutcome.Next));
        await using (Run("tm-a", TimeSpan.FromSeconds(1.5), workflow))
        {
            await Poll.WithinAsync(started.Task.ContinueWith(_ => true, TaskScheduler.Default), "The step never started");
            // Another task manager took it over (as after tm-a stalled past its lease).
            await using (var connection = await Db.OpenAsync(CancellationToken.None))
            {
                await connection.ExecuteAsync("UPDATE workflows SET owner = 'tm-b', lease_expires = @until WHERE id = @id",
                    new { id, until = DateTimeOffset.UtcNow.AddMinutes(5).UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ") });
            }

            var before = (await RowsAsync([id]))[0];
            await Poll.WithinAsync(stopped.Task.ContinueWith(_ => true, TaskScheduler.Default), "The step kept running after its lease was lost", 10);
            await Task.Delay(1500);
            var after = (await RowsAsync([id]))[0];
            Assert.Equal((before.Owner, before.Step, before.Updated, before.LeaseExpires), (after.Owner, after.Step, after.Updated, after.LeaseExpires));
        }

        Assert.Equal(0, workflow.Runs("after"));
        Assert.Equal(0, workflow.FailureCalls);
        Assert.Equal(WorkflowStatus.Running, (await RowsAsync([id]))[0].Status);
    }

    [StateDbFact]
    public async Task CleanStop_ReleasesClaims_SoAnotherEngineResumesAtOnce()
    {
        var id = await InsertAsync("release", "i-release");
        var first = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var workflow = new ScriptedWorkflow("release",
            new WorkflowStep("wait", TimeSpan.FromMinutes(5), (c, _) =>
            {
                if (Owner(c) == "tm-a")
                {
                    first.TrySetResult();
                    return Task.FromResult(StepOutcome.WaitFor(TimeSpan.FromMinutes(1)));
                }

                return Task.FromResult(StepOutcome.Next);
            }));
        await using (Run("tm-a", TimeSpan.FromMinutes(5), workflow))
        {
            await Poll.WithinAsync(first.Task.ContinueWith(_ => true, TaskScheduler.Default), "tm-a never ran the step");
        }

        Assert.Null((await RowsAsync([id]))[0].Owner);
        await using (Run("tm-b", TimeSpan.FromMinutes(5), workflow))
        {
            // Far sooner than tm-a's five-minute lease.
            await Poll.UntilAsync(async () => (await RowsAsync([id]))[0].Status == WorkflowStatus.Succeeded, "tm-b did not resume it", 10);
        }
    }

    [StateDbFact]
    public async Task SoleEngine_TakesOverItsKilledPredecessorsClaim_WithoutWaitingForTheLease()
    {
        var id = await InsertAsync("sole", "i-sole");
        var now = DateTimeOffset.UtcNow;
        Assert.NotNull(await _store.TryClaimAsync(id, "tm-before-crash", now, now.AddMinutes(10), CancellationToken.None));
        var workflow = new ScriptedWorkflow("sole", ScriptedWorkflow.Step("only", _ => StepOutcome.Next));

        await using (new EngineRun(new WorkflowEngine(_store, [workflow], TimeProvider.System, NullLogger<WorkflowEngine>.Instance, null,
                         new WorkflowEngineOptions { Owner = "tm-after-crash", Sole = true })))
        {
            await Poll.UntilAsync(async () => (await RowsAsync([id]))[0].Status == WorkflowStatus.Succeeded, "The sole engine did not resume it", 5);
        }

        Assert.Equal("tm-after-crash", (await RowsAsync([id]))[0].Owner);
    }

    [StateDbFact]
    public async Task LeaseStore_OneHolderAtATime_TakenOverOnlyAfterExpiry()
    {
        var leases = new LeaseStore(Db);
        var now = DateTimeOffset.UtcNow;
        Assert.True(await leases.TryAcquireAsync("job:x", "p1", now, now.AddSeconds(10), CancellationToken.None));
        Assert.False(await leases.TryAcquireAsync("job:x", "p2", now.AddSeconds(1), now.AddSeconds(11), CancellationToken.None));
        Assert.True(await leases.TryAcquireAsync("job:x", "p1", now.AddSeconds(2), now.AddSeconds(12), CancellationToken.None));
        Assert.False(await leases.TryAcquireAsync("job:x", "p2", now.AddSeconds(11), now.AddSeconds(21), CancellationToken.None));
        Assert.True(await leases.TryAcquireAsync("job:x", "p2", now.AddSeconds(13), now.AddSeconds(23), CancellationToken.None));
        Assert.Equal("p2", (await leases.GetAsync("job:x", CancellationToken.None))?.Owner);

        await leases.ReleaseAsync("job:x", "p1", CancellationToken.None);
        Assert.Equal("p2", (await leases.GetAsync("job:x", CancellationToken.None))?.Owner);
        await leases.ReleaseAsync("job:x", "p2", CancellationToken.None);
        Assert.True(await leases.TryAcquireAsync("job:x", "p3", now.AddSeconds(14), now.AddSeconds(24), CancellationToken.None));
    }

    [StateDbFact]
    public async Task LeaseStore_RacingProcesses_ExactlyOneWins()
    {
        var leases = Enumerable.Range(0, 8).Select(_ => new LeaseStore(Db)).ToList();
        var now = DateTimeOffset.UtcNow;
        var won = await Task.WhenAll(leases.Select((l, i) =>
            Task.Run(() => l.TryAcquireAsync("job:race", $"p{i}", now, now.AddSeconds(10), CancellationToken.None))));
        Assert.Equal(1, won.Count(w => w));
    }

    private static string Owner(WorkflowContext context) => context.Record.Owner ?? "";

    private async Task<string> InsertAsync(string type, string instanceId)
    {
        var id = Guid.NewGuid().ToString();
        var now = DateTimeOffset.UtcNow.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ");
        await using var connection = await Db.OpenAsync(CancellationToken.None);
        await connection.ExecuteAsync(
            "INSERT INTO workflows (id, type, instance_id, status, step, data, created, updated) VALUES (@id, @type, @instanceId, 'RUNNING', 0, '{}', @now, @now)",
            new { id, type, instanceId, now });
        return id;
    }

    private async Task<IReadOnlyList<WorkflowRecord>> RowsAsync(IReadOnlyList<string> ids)
    {
        await using var connection = await Db.OpenAsync(CancellationToken.None);
        var rows = (await connection.QueryAsync<WorkflowRecord>(
            "SELECT id, type, instance_id, status, step, step_started, data, error, created, updated, owner, lease_expires FROM workflows WHERE " + Db.In("id", "ids"),
            new { ids = ids.ToArray() })).ToDictionary(r => r.Id);
        return [.. ids.Select(i => rows[i])];
    }

    private EngineRun Run(string owner, TimeSpan lease, params IWorkflow[] workflows) =>
        new(new WorkflowEngine(_store, workflows, TimeProvider.System, NullLogger<WorkflowEngine>.Instance, null,
            new WorkflowEngineOptions { Owner = owner, Lease = lease }));

    private sealed class EngineRun : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _running;

        public EngineRun(WorkflowEngine engine)
        {
            Engine = engine;
            _running = engine.RunAsync(_stop.Token);
        }

        public WorkflowEngine Engine { get; }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _running;
            _stop.Dispose();
        }
    }
}

public sealed class SqliteWorkflowClaimTests() : WorkflowClaimTests(TestStateDb.SqliteAsync)
{
    [Fact]
    public async Task Migrate_FromSeveralProcessesAtOnce_AppliesEachVersionOnce()
    {
        var path = Path.Combine(Path.GetTempPath(), $"hoard-migrate-{Guid.NewGuid():N}.db");
        try
        {
            await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(() => new StateDb(path).MigrateAsync(CancellationToken.None))));
            await using var connection = await new StateDb(path).OpenAsync(CancellationToken.None);
            var versions = (await connection.QueryAsync<int>("SELECT version FROM schema_version ORDER BY version")).ToList();
            Assert.Equal(Enumerable.Range(1, StateDb.SchemaVersion), versions);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            foreach (var file in new[] { path, path + "-wal", path + "-shm" })
            {
                File.Delete(file);
            }
        }
    }
}

[Collection(PostgreSqlStateCollection.Name)]
public sealed class PostgreSqlWorkflowClaimTests(PostgreSqlStateServer server) : WorkflowClaimTests(() => TestStateDb.PostgreSqlAsync(server))
{
    public static string? SkipReason => PostgreSqlStateServer.SkipReason;
}

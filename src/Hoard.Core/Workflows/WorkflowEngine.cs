using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Hoard.Core.Workflows;

/// <summary>
/// Runs persisted workflows step by step. A step that throws is retried with backoff until its deadline; a step
/// past its deadline fails the workflow, which then records a fault a user can read.
/// </summary>
/// <remarks>
/// Several engines (task managers in several processes) may share one state DB: each drives only the workflows it has
/// claimed (<see cref="IWorkflowStore.TryClaimAsync"/>), renews its leases every third of their length while it drives
/// them, and stops driving, without another write, a workflow whose lease it lost. A task manager that dies leaves its
/// workflows to whichever engine claims them once their leases have expired, at the step that was running.
/// </remarks>
public sealed partial class WorkflowEngine
{
    private static readonly TimeSpan ScanInterval = TimeSpan.FromSeconds(1);
    private readonly IWorkflowStore _store;
    private readonly Dictionary<string, IWorkflow> _workflows;
    private readonly TimeProvider _time;
    private readonly ILogger<WorkflowEngine> _logger;
    private readonly IWorkflowObserver? _observer;
    private readonly WorkflowEngineOptions _options;
    private readonly IWorkflowSignalRelay? _relay;
    private readonly ConcurrentDictionary<string, WorkflowLease> _inFlight = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _wakeups = new();
    private readonly SemaphoreSlim _scan = new(0);
    private readonly ConcurrentDictionary<string, byte> _unknownReported = new();
    private volatile bool _running;

    public WorkflowEngine(IWorkflowStore store, IEnumerable<IWorkflow> workflows, TimeProvider time, ILogger<WorkflowEngine> logger,
        IWorkflowObserver? observer = null, WorkflowEngineOptions? options = null, IWorkflowSignalRelay? relay = null)
    {
        _store = store;
        _workflows = workflows.ToDictionary(w => w.Type, StringComparer.Ordinal);
        _time = time;
        _logger = logger;
        _observer = observer;
        _options = options ?? new WorkflowEngineOptions();
        _relay = relay;
    }

    /// <summary>This engine's name in <c>workflows.owner</c>.</summary>
    public string Owner => _options.Owner;

    /// <summary>The workflows this engine drives now.</summary>
    public IReadOnlyCollection<string> Driving => [.. _inFlight.Keys];

    /// <summary>Look for new workflows now (after one was inserted): here when this process drives workflows, else in a task manager.</summary>
    public void Poke()
    {
        if (!_running && _relay is not null)
        {
            _relay.WorkflowCreated();
            return;
        }

        _scan.Release();
    }

    /// <summary>Look for new workflows in this engine only (a signal relayed from another process).</summary>
    public void PokeHere() => _scan.Release();

    /// <summary>Wake the waiting step of an instance's workflow (for example after its guest reported), wherever it is driven.</summary>
    public void Wake(string instanceId)
    {
        if (!WakeHere(instanceId))
        {
            _relay?.Wake(instanceId);
        }
    }

    /// <summary>Wakes the instance's workflow if this engine drives it; false when it does not.</summary>
    public bool WakeHere(string instanceId)
    {
        if (_wakeups.TryRemove(instanceId, out var waiter))
        {
            waiter.TrySetResult();
            return true;
        }

        return false;
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        _running = true;
        var renewal = Task.Run(() => RenewLeasesAsync(cancellationToken), CancellationToken.None);
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                try
                {
                    await ClaimNewAsync(cancellationToken);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    break; // stopped mid-scan (opening a PostgreSQL connection, say)
                }
                catch (Exception e)
                {
                    LogScanFailed(e);
                }

                try
                {
                    await _scan.WaitAsync(ScanInterval, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }

            await Task.WhenAll(_inFlight.Values.Select(l => l.Drive)).ContinueWith(_ => { }, TaskScheduler.Default);
            await renewal;
        }
        finally
        {
            _running = false;
            await ReleaseAsync();
        }
    }

    private async Task ClaimNewAsync(CancellationToken cancellationToken)
    {
        foreach (var listed in await _store.ListRunningAsync(cancellationToken))
        {
            var now = _time.GetUtcNow();
            // The sole engine treats every other claim as expired: it can only be its own predecessor's.
            var expiredBefore = _options.Sole ? DateTimeOffset.MaxValue : now;
            // A type this engine does not know (another release's) is left for a task manager that does; said once.
            if (!_workflows.ContainsKey(listed.Type))
            {
                if (_workflows.Count > 0 && _unknownReported.TryAdd(listed.Id, 0))
                {
                    LogUnknownType(listed.Type, listed.Id);
                }

                continue;
            }

            if (_inFlight.ContainsKey(listed.Id) || !Claimable(listed, expiredBefore))
            {
                continue;
            }

            // Claimed as stored now, not as listed: another task manager may have advanced it before its lease ran out.
            var expires = now + _options.Lease;
            if (await _store.TryClaimAsync(listed.Id, _options.Owner, expiredBefore, expires, cancellationToken) is not { } record)
            {
                continue;
            }

            if (record.Owner != listed.Owner && listed.Owner is not null)
            {
                LogTakenOver(record.Type, record.InstanceId, listed.Owner, record.Step);
            }

            var lease = new WorkflowLease(record.Id, record.InstanceId, expires);
            _inFlight[record.Id] = lease;
            lease.Drive = Task.Run(() => DriveAsync(lease, record, cancellationToken), CancellationToken.None);
        }
    }

    private bool Claimable(WorkflowRecord workflow, DateTimeOffset now) =>
        workflow.Owner is null || workflow.Owner == _options.Owner || workflow.LeaseExpires is not { } expires || expires < now;

    /// <summary>
    /// Every third of the lease: extend the leases of everything driven here; a workflow no longer held (taken over, or
    /// ended elsewhere) stops at once, and when renewing fails (the state DB unreachable) each drive stops once its own
    /// lease has run out by this host's clock, before another task manager may take it over.
    /// </summary>
    private async Task RenewLeasesAsync(CancellationToken cancellationToken)
    {
        var interval = _options.Lease / 3;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, _time, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            var leases = _inFlight.Values.ToList();
            if (leases.Count == 0)
            {
                continue;
            }

            var now = _time.GetUtcNow();
            try
            {
                var held = await _store.RenewAsync(_options.Owner, [.. leases.Select(l => l.WorkflowId)], now + _options.Lease, cancellationToken);
                foreach (var lease in leases)
                {
                    if (held.Contains(lease.WorkflowId))
                    {
                        lease.Extend(now + _options.Lease);
                    }
                    else
                    {
                        lease.Lose();
                    }
                }
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                LogRenewFailed(e, leases.Count);
                foreach (var lease in leases.Where(l => l.ValidUntil <= _time.GetUtcNow()))
                {
                    lease.Lose();
                }
            }
        }
    }

    /// <summary>On a clean stop, what this engine held is handed back at once instead of when its leases expire.</summary>
    private async Task ReleaseAsync()
    {
        try
        {
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _store.ReleaseAsync(_options.Owner, deadline.Token);
        }
        catch (Exception e)
        {
            LogReleaseFailed(e);
        }
    }

    private async Task DriveAsync(WorkflowLease lease, WorkflowRecord record, CancellationToken stopping)
    {
        using var driving = CancellationTokenSource.CreateLinkedTokenSource(stopping, lease.Lost);
        var cancellationToken = driving.Token;
        try
        {
            if (!_workflows.TryGetValue(record.Type, out var workflow))
            {
                LogUnknownType(record.Type, record.Id);
                return;
            }

            var context = new WorkflowContext(record, _time);
            var failures = 0;
            while (record.Status == WorkflowStatus.Running && !cancellationToken.IsCancellationRequested)
            {
                if (lease.ValidUntil <= _time.GetUtcNow())
                {
                    // Not renewed in time: another task manager may hold it now, so this one must not run a step.
                    lease.Lose();
                    break;
                }

                var step = workflow.Steps[record.Step];
                if (record.StepStarted is null)
                {
                    if (record.Step == 0)
                    {
                        _observer?.Started(record);
                    }

                    record.StepStarted = _time.GetUtcNow();
                    await SaveAsync(lease, record, context, cancellationToken);
                }

                var remaining = record.StepStarted.Value + step.Deadline - _time.GetUtcNow();
                if (remaining <= TimeSpan.Zero)
                {
                    await FailAsync(lease, workflow, context, new WorkflowFault(step.Name,
                        $"Step '{step.Name}' did not complete within {step.Deadline.TotalSeconds:0} s.", null, TimedOut: true), cancellationToken);
                    return;
                }

                var waiter = _wakeups.GetOrAdd(record.InstanceId, _ => new(TaskCreationOptions.RunContinuationsAsynchronously));
                StepOutcome outcome;
                using (var stepTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
                {
                    stepTimeout.CancelAfter(remaining);
                    try
                    {
                        outcome = await step.Run(context, stepTimeout.Token);
                        failures = 0;
                    }
                    catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                    {
                        continue; // the deadline check above turns this into a fault
                    }
                    catch (Exception e) when (!cancellationToken.IsCancellationRequested)
                    {
                        failures++;
                        LogStepFailed(e, step.Name, record.Type, record.InstanceId, failures);
                        outcome = StepOutcome.WaitFor(TimeSpan.FromMilliseconds(Math.Min(5000, 100 * Math.Pow(2, failures))));
                        context.Data["last_error"] = e.Message;
                    }
                }

                switch (outcome)
                {
                    case StepOutcome.NextStep:
                        context.Data.Remove("last_error");
                        record.Step++;
                        record.StepStarted = null;
                        if (record.Step >= workflow.Steps.Count)
                        {
                            record.Status = WorkflowStatus.Succeeded;
                        }

                        await SaveAsync(lease, record, context, cancellationToken);
                        if (record.Status == WorkflowStatus.Succeeded)
                        {
                            _observer?.Finished(record);
                        }

                        break;
                    case StepOutcome.Wait wait:
                        await Task.WhenAny(waiter.Task, Task.Delay(wait.Delay, _time, cancellationToken));
                        break;
                    case StepOutcome.Failed failed:
                        await FailAsync(lease, workflow, context, new WorkflowFault(step.Name, failed.Message, failed.Details), cancellationToken);
                        return;
                }
            }

            if (lease.IsLost && !stopping.IsCancellationRequested)
            {
                LogLeaseLost(record.Type, record.InstanceId, record.Step);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            if (lease.IsLost && !stopping.IsCancellationRequested)
            {
                LogLeaseLost(record.Type, record.InstanceId, record.Step);
            }
        }
        catch (WorkflowAbandonedException)
        {
            LogAbandoned(record.Type, record.InstanceId);
        }
        catch (Exception e)
        {
            LogDriveFailed(e, record.Id);
        }
        finally
        {
            _inFlight.TryRemove(record.Id, out _);
            if (!_inFlight.Values.Any(l => l.InstanceId == record.InstanceId))
            {
                // A later Wake for this instance must reach whoever drives its next workflow, not a waiter left here.
                _wakeups.TryRemove(record.InstanceId, out _);
            }

            lease.Dispose();
        }
    }

    private async Task FailAsync(WorkflowLease lease, IWorkflow workflow, WorkflowContext context, WorkflowFault fault,
        CancellationToken cancellationToken)
    {
        var record = context.Record;
        if (context.GetString("last_error") is { } lastError && fault.Details is null)
        {
            fault = fault with { Details = lastError };
        }

        LogWorkflowFailed(record.Type, record.InstanceId, fault.Step, fault.Message);
        // Recorded before the save, so that what OnFailedAsync removes from the state (passwords) is saved too.
        await workflow.OnFailedAsync(context, fault, cancellationToken);
        record.Status = WorkflowStatus.Failed;
        record.Error = fault.Message;
        await SaveAsync(lease, record, context, cancellationToken);
        _observer?.Finished(record);
    }

    private async Task SaveAsync(WorkflowLease lease, WorkflowRecord record, WorkflowContext context, CancellationToken cancellationToken)
    {
        context.Flush();
        var now = _time.GetUtcNow();
        record.Updated = now;
        record.Owner = _options.Owner;
        record.LeaseExpires = now + _options.Lease;
        await _store.SaveAsync(record, cancellationToken);
        lease.Extend(now + _options.Lease);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Scanning for workflows failed")]
    private partial void LogScanFailed(Exception e);

    [LoggerMessage(Level = LogLevel.Error, Message = "Workflow {Id} has unknown type {Type}; left to a task manager that knows it")]
    private partial void LogUnknownType(string type, string id);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Step {Step} of {Type} for instance {InstanceId} failed (attempt {Attempt}); retrying")]
    private partial void LogStepFailed(Exception e, string step, string type, string instanceId, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Workflow {Type} for instance {InstanceId} failed at step {Step}: {Message}")]
    private partial void LogWorkflowFailed(string type, string instanceId, string step, string message);

    [LoggerMessage(Level = LogLevel.Information, Message = "Workflow {Type} for instance {InstanceId} was ended elsewhere or taken over; stopped driving it")]
    private partial void LogAbandoned(string type, string instanceId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lost the lease on workflow {Type} for instance {InstanceId} at step {Step}; stopped driving it")]
    private partial void LogLeaseLost(string type, string instanceId, int step);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Took over workflow {Type} for instance {InstanceId} from {Previous} (its lease expired) at step {Step}")]
    private partial void LogTakenOver(string type, string instanceId, string previous, int step);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Renewing the leases of {Count} workflows failed")]
    private partial void LogRenewFailed(Exception e, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Releasing this task manager's workflows on stop failed; others take them over when the leases expire")]
    private partial void LogReleaseFailed(Exception e);

    [LoggerMessage(Level = LogLevel.Error, Message = "Driving workflow {Id} failed")]
    private partial void LogDriveFailed(Exception e, string id);
}

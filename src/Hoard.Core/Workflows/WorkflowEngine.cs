using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Hoard.Core.Workflows;

/// <summary>
/// Runs persisted workflows step by step. A step that throws is retried with backoff until its deadline; a step
/// past its deadline fails the workflow, which then records a fault a user can read.
/// </summary>
public sealed partial class WorkflowEngine
{
    private static readonly TimeSpan ScanInterval = TimeSpan.FromSeconds(1);
    private readonly IWorkflowStore _store;
    private readonly Dictionary<string, IWorkflow> _workflows;
    private readonly TimeProvider _time;
    private readonly ILogger<WorkflowEngine> _logger;
    private readonly IWorkflowObserver? _observer;
    private readonly ConcurrentDictionary<string, Task> _inFlight = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _wakeups = new();
    private readonly SemaphoreSlim _scan = new(0);

    public WorkflowEngine(IWorkflowStore store, IEnumerable<IWorkflow> workflows, TimeProvider time, ILogger<WorkflowEngine> logger,
        IWorkflowObserver? observer = null)
    {
        _store = store;
        _workflows = workflows.ToDictionary(w => w.Type, StringComparer.Ordinal);
        _time = time;
        _logger = logger;
        _observer = observer;
    }

    /// <summary>Look for new workflows now (after one was inserted).</summary>
    public void Poke() => _scan.Release();

    /// <summary>Wake the waiting step of an instance's workflow (for example after its guest reported).</summary>
    public void Wake(string instanceId)
    {
        if (_wakeups.TryRemove(instanceId, out var waiter))
        {
            waiter.TrySetResult();
        }
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                foreach (var workflow in await _store.ListRunningAsync(cancellationToken))
                {
                    if (!_inFlight.ContainsKey(workflow.Id))
                    {
                        _inFlight[workflow.Id] = Task.Run(() => DriveAsync(workflow, cancellationToken), CancellationToken.None);
                    }
                }
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
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

        await Task.WhenAll(_inFlight.Values).ContinueWith(_ => { }, TaskScheduler.Default);
    }

    private async Task DriveAsync(WorkflowRecord record, CancellationToken cancellationToken)
    {
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
                var step = workflow.Steps[record.Step];
                if (record.StepStarted is null)
                {
                    if (record.Step == 0)
                    {
                        _observer?.Started(record);
                    }

                    record.StepStarted = _time.GetUtcNow();
                    await SaveAsync(record, context, cancellationToken);
                }

                var remaining = record.StepStarted.Value + step.Deadline - _time.GetUtcNow();
                if (remaining <= TimeSpan.Zero)
                {
                    await FailAsync(workflow, context, new WorkflowFault(step.Name,
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

                        await SaveAsync(record, context, cancellationToken);
                        if (record.Status == WorkflowStatus.Succeeded)
                        {
                            _observer?.Finished(record);
                        }

                        break;
                    case StepOutcome.Wait wait:
                        await Task.WhenAny(waiter.Task, Task.Delay(wait.Delay, _time, cancellationToken));
                        break;
                    case StepOutcome.Failed failed:
                        await FailAsync(workflow, context, new WorkflowFault(step.Name, failed.Message, failed.Details), cancellationToken);
                        return;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
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
        }
    }

    private async Task FailAsync(IWorkflow workflow, WorkflowContext context, WorkflowFault fault, CancellationToken cancellationToken)
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
        await SaveAsync(record, context, cancellationToken);
        _observer?.Finished(record);
    }

    private Task SaveAsync(WorkflowRecord record, WorkflowContext context, CancellationToken cancellationToken)
    {
        context.Flush();
        record.Updated = _time.GetUtcNow();
        return _store.SaveAsync(record, cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Scanning for workflows failed")]
    private partial void LogScanFailed(Exception e);

    [LoggerMessage(Level = LogLevel.Error, Message = "Workflow {Id} has unknown type {Type}")]
    private partial void LogUnknownType(string type, string id);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Step {Step} of {Type} for instance {InstanceId} failed (attempt {Attempt}); retrying")]
    private partial void LogStepFailed(Exception e, string step, string type, string instanceId, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Workflow {Type} for instance {InstanceId} failed at step {Step}: {Message}")]
    private partial void LogWorkflowFailed(string type, string instanceId, string step, string message);

    [LoggerMessage(Level = LogLevel.Information, Message = "Workflow {Type} for instance {InstanceId} was ended elsewhere; stopped driving it")]
    private partial void LogAbandoned(string type, string instanceId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Driving workflow {Id} failed")]
    private partial void LogDriveFailed(Exception e, string id);
}

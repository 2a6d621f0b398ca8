using Hoard.Core.Workflows;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hoard.Core.Tests.Workflows;

public class WorkflowEngineTests
{
    private readonly InMemoryWorkflowStore _store = new();

    [Fact]
    public async Task Steps_RunInOrder_ShareStateAndPersistAfterEachStep()
    {
        var workflow = new ScriptedWorkflow("greet",
            ScriptedWorkflow.Step("first", c =>
            {
                c.Data["greeting"] = "hello";
                return StepOutcome.Next;
            }),
            ScriptedWorkflow.Step("second", c =>
            {
                c.Data["echo"] = c.RequireString("greeting") + " again";
                return StepOutcome.Next;
            }));
        var record = ScriptedWorkflow.Record("greet", "i-1");
        _store.Insert(record);

        await using (Run(workflow))
        {
            await UntilFinishedAsync(record.Id);
        }

        var final = _store.Get(record.Id);
        Assert.Equal(WorkflowStatus.Succeeded, final.Status);
        Assert.Equal(2, final.Step);
        Assert.Contains("\"echo\":\"hello again\"", final.Data);
        Assert.Equal(1, workflow.Runs("first"));
        Assert.Equal(1, workflow.Runs("second"));
        Assert.Contains(_store.Saves, s => s is { Step: 1, Status: WorkflowStatus.Running } && s.Data.Contains("\"greeting\":\"hello\""));
    }

    [Fact]
    public async Task WaitingStep_IsRunAgainAsSoonAsItsInstanceIsWoken()
    {
        var waiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var calls = 0;
        var workflow = new ScriptedWorkflow("wait",
            ScriptedWorkflow.Step("await_report", _ =>
            {
                if (Interlocked.Increment(ref calls) == 1)
                {
                    waiting.TrySetResult();
                    return StepOutcome.WaitFor(TimeSpan.FromHours(1));
                }

                return StepOutcome.Next;
            }, deadlineSeconds: 3600));
        var record = ScriptedWorkflow.Record("wait", "i-wake");
        _store.Insert(record);

        await using var run = Run(workflow);
        await Poll.WithinAsync(waiting.Task.ContinueWith(_ => true, TaskScheduler.Default), "The step never ran");
        run.Engine.Wake("i-wake");
        await UntilFinishedAsync(record.Id);

        Assert.Equal(WorkflowStatus.Succeeded, _store.Get(record.Id).Status);
        Assert.Equal(2, workflow.Runs("await_report"));
    }

    [Fact]
    public async Task WaitingStep_IsRunAgainAfterItsDelay()
    {
        var calls = 0;
        var workflow = new ScriptedWorkflow("poll",
            ScriptedWorkflow.Step("poll", _ => Interlocked.Increment(ref calls) < 3 ? StepOutcome.WaitFor(TimeSpan.FromMilliseconds(20)) : StepOutcome.Next));
        var record = ScriptedWorkflow.Record("poll", "i-poll");
        _store.Insert(record);

        await using (Run(workflow))
        {
            await UntilFinishedAsync(record.Id);
        }

        Assert.Equal(WorkflowStatus.Succeeded, _store.Get(record.Id).Status);
        Assert.Equal(3, workflow.Runs("poll"));
    }

    [Fact]
    public async Task ThrowingStep_IsRetriedUntilItSucceeds()
    {
        var calls = 0;
        var workflow = new ScriptedWorkflow("flaky",
            ScriptedWorkflow.Step("flaky", _ => Interlocked.Increment(ref calls) <= 2
                ? throw new InvalidOperationException("transient trouble")
                : StepOutcome.Next));
        var record = ScriptedWorkflow.Record("flaky", "i-flaky");
        _store.Insert(record);

        await using (Run(workflow))
        {
            await UntilFinishedAsync(record.Id);
        }

        var final = _store.Get(record.Id);
        Assert.Equal(WorkflowStatus.Succeeded, final.Status);
        Assert.Equal(3, workflow.Runs("flaky"));
        Assert.Equal(0, workflow.FailureCalls);
        Assert.DoesNotContain("last_error", final.Data);
    }

    [Fact]
    public async Task StepPastItsDeadline_FailsTheWorkflowWithAFaultNamingTheStep()
    {
        var workflow = new ScriptedWorkflow("stuck",
            ScriptedWorkflow.Step("never_ready", _ => StepOutcome.WaitFor(TimeSpan.FromMilliseconds(20)), deadlineSeconds: 0.3),
            ScriptedWorkflow.Step("unreached", _ => StepOutcome.Next));
        var record = ScriptedWorkflow.Record("stuck", "i-stuck");
        _store.Insert(record);

        await using (Run(workflow))
        {
            var fault = await Poll.WithinAsync(workflow.Failed, "OnFailedAsync was not called");
            Assert.Equal("never_ready", fault.Step);
            Assert.Contains("never_ready", fault.Message);
            Assert.Contains("did not complete", fault.Message);
            Assert.True(fault.TimedOut, "a missed deadline is not flagged as a timeout");
            await UntilFinishedAsync(record.Id);
        }

        var final = _store.Get(record.Id);
        Assert.Equal(WorkflowStatus.Failed, final.Status);
        Assert.Contains("never_ready", final.Error);
        Assert.Contains("\"failed_at\":\"never_ready\"", final.Data);
        Assert.Equal(1, workflow.FailureCalls);
        Assert.Equal(0, workflow.Runs("unreached"));
    }

    [Fact]
    public async Task StepThatKeepsThrowing_FailsAtItsDeadlineWithTheLastErrorAsDetails()
    {
        var workflow = new ScriptedWorkflow("broken",
            ScriptedWorkflow.Step("ignite", _ => throw new InvalidOperationException("disk on fire"), deadlineSeconds: 2));
        var record = ScriptedWorkflow.Record("broken", "i-broken");
        _store.Insert(record);

        await using var run = Run(workflow);
        var fault = await Poll.WithinAsync(workflow.Failed, "OnFailedAsync was not called");

        Assert.Equal("ignite", fault.Step);
        Assert.Equal("disk on fire", fault.Details);
        Assert.True(workflow.Runs("ignite") >= 2, $"the step ran {workflow.Runs("ignite")} time(s); it should have been retried");
    }

    [Fact]
    public async Task HungStep_IsCancelledAtItsDeadline()
    {
        var cancelled = false;
        var workflow = new ScriptedWorkflow("hung", new WorkflowStep("hang", TimeSpan.FromSeconds(0.3), async (_, ct) =>
        {
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException)
            {
                cancelled = true;
                throw;
            }

            return StepOutcome.Next;
        }));
        var record = ScriptedWorkflow.Record("hung", "i-hung");
        _store.Insert(record);

        await using var run = Run(workflow);
        var fault = await Poll.WithinAsync(workflow.Failed, "OnFailedAsync was not called for a step that never returns");

        Assert.Equal("hang", fault.Step);
        Assert.True(fault.TimedOut);
        Assert.True(cancelled, "the hung step's cancellation token was never cancelled");
    }

    [Fact]
    public async Task FailedOutcome_FailsTheWorkflowWithItsMessageAndDetails()
    {
        var workflow = new ScriptedWorkflow("refuse",
            ScriptedWorkflow.Step("check", _ => StepOutcome.Fail("no capacity", "all 3 hosts full")),
            ScriptedWorkflow.Step("unreached", _ => StepOutcome.Next));
        var record = ScriptedWorkflow.Record("refuse", "i-refuse");
        _store.Insert(record);

        await using (Run(workflow))
        {
            var fault = await Poll.WithinAsync(workflow.Failed, "OnFailedAsync was not called");
            Assert.Equal(new WorkflowFault("check", "no capacity", "all 3 hosts full", TimedOut: false), fault);
            await UntilFinishedAsync(record.Id);
        }

        Assert.Equal(WorkflowStatus.Failed, _store.Get(record.Id).Status);
        Assert.Equal("no capacity", _store.Get(record.Id).Error);
        Assert.Equal(0, workflow.Runs("unreached"));
    }

    [Fact]
    public async Task PersistedWorkflow_ResumesAtItsStepWithItsState()
    {
        var workflow = new ScriptedWorkflow("resume",
            ScriptedWorkflow.Step("one", _ => StepOutcome.Next),
            ScriptedWorkflow.Step("two", _ => StepOutcome.Next),
            ScriptedWorkflow.Step("three", c =>
            {
                c.Data["seen"] = c.RequireString("carried");
                return StepOutcome.Next;
            }));
        var record = ScriptedWorkflow.Record("resume", "i-resume", step: 2, data: """{"carried":"from the last run"}""");
        _store.Insert(record);

        await using (Run(workflow))
        {
            await UntilFinishedAsync(record.Id);
        }

        Assert.Equal(WorkflowStatus.Succeeded, _store.Get(record.Id).Status);
        Assert.Contains("\"seen\":\"from the last run\"", _store.Get(record.Id).Data);
        Assert.Equal(0, workflow.Runs("one"));
        Assert.Equal(0, workflow.Runs("two"));
        Assert.Equal(1, workflow.Runs("three"));
    }

    [Fact]
    public async Task PersistedStepStart_CountsTowardsTheDeadlineAfterARestart()
    {
        var workflow = new ScriptedWorkflow("late", ScriptedWorkflow.Step("slow", _ => StepOutcome.Next, deadlineSeconds: 60));
        var record = ScriptedWorkflow.Record("late", "i-late", stepStarted: DateTimeOffset.UtcNow.AddHours(-1));
        _store.Insert(record);

        await using var run = Run(workflow);
        var fault = await Poll.WithinAsync(workflow.Failed, "A step whose deadline passed before the restart did not fail");

        Assert.Equal("slow", fault.Step);
        Assert.Equal(0, workflow.Runs("slow"));
    }

    [Fact]
    public async Task WorkflowEndedElsewhere_IsNotDrivenFurtherNorRevived()
    {
        string? id = null;
        var workflow = new ScriptedWorkflow("reset",
            ScriptedWorkflow.Step("first", _ =>
            {
                _store.End(id!);
                return StepOutcome.Next;
            }),
            ScriptedWorkflow.Step("second", _ => StepOutcome.Next));
        var canary = new ScriptedWorkflow("canary", ScriptedWorkflow.Step("only", _ => StepOutcome.Next));
        var record = ScriptedWorkflow.Record("reset", "i-reset");
        id = record.Id;
        _store.Insert(record);

        await using (var run = Run(workflow, canary))
        {
            await Poll.UntilAsync(() => workflow.Runs("first") == 1, "The first step never ran");
            // A workflow inserted afterwards finishing shows the engine has moved on from the ended one.
            var later = ScriptedWorkflow.Record("canary", "i-canary");
            _store.Insert(later);
            run.Engine.Poke();
            await UntilFinishedAsync(later.Id);
        }

        Assert.Equal(WorkflowStatus.Failed, _store.Get(record.Id).Status);
        Assert.Equal(1, workflow.Runs("first"));
        Assert.Equal(0, workflow.Runs("second"));
        Assert.Equal(0, workflow.FailureCalls);
    }

    private EngineRun Run(params IWorkflow[] workflows) => new(_store, workflows);

    private Task UntilFinishedAsync(string id) =>
        Poll.UntilAsync(() => _store.Get(id).Status != WorkflowStatus.Running, $"Workflow {id} did not finish");

    private sealed class EngineRun : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _running;

        public EngineRun(IWorkflowStore store, IWorkflow[] workflows)
        {
            Engine = new WorkflowEngine(store, workflows, TimeProvider.System, NullLogger<WorkflowEngine>.Instance);
            _running = Engine.RunAsync(_stop.Token);
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

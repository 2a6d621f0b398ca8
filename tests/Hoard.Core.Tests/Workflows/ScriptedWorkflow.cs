using System.Collections.Concurrent;
using Hoard.Core.Workflows;

namespace Hoard.Core.Tests.Workflows;

/// <summary>A workflow whose steps are given by the test, counting runs and recording its failure.</summary>
internal sealed class ScriptedWorkflow : IWorkflow
{
    private readonly ConcurrentDictionary<string, int> _runs = new();
    private readonly TaskCompletionSource<WorkflowFault> _failed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ScriptedWorkflow(string type, params WorkflowStep[] steps)
    {
        Type = type;
        Steps = [.. steps.Select(s => s with { Run = (c, ct) => CountThen(s.Name, s.Run, c, ct) })];
    }

    public string Type { get; }

    public IReadOnlyList<WorkflowStep> Steps { get; }

    public Task<WorkflowFault> Failed => _failed.Task;

    public int FailureCalls { get; private set; }

    public int Runs(string step) => _runs.GetValueOrDefault(step);

    public Task OnFailedAsync(WorkflowContext context, WorkflowFault fault, CancellationToken cancellationToken)
    {
        FailureCalls++;
        context.Data["failed_at"] = fault.Step;
        _failed.TrySetResult(fault);
        return Task.CompletedTask;
    }

    private Task<StepOutcome> CountThen(string name, StepAction run, WorkflowContext context, CancellationToken cancellationToken)
    {
        _runs.AddOrUpdate(name, 1, (_, n) => n + 1);
        return run(context, cancellationToken);
    }

    public static WorkflowStep Step(string name, Func<WorkflowContext, StepOutcome> run, double deadlineSeconds = 10) =>
        new(name, TimeSpan.FromSeconds(deadlineSeconds), (c, _) => Task.FromResult(run(c)));

    public static WorkflowRecord Record(string type, string instanceId, int step = 0, string data = "{}", DateTimeOffset? stepStarted = null) => new()
    {
        Id = Guid.NewGuid().ToString(), Type = type, InstanceId = instanceId, Step = step, Data = data, StepStarted = stepStarted,
        Created = DateTimeOffset.UtcNow, Updated = DateTimeOffset.UtcNow,
    };
}

using System.Text.Json.Nodes;
using Hoard.Cli.Waiting;

namespace Hoard.Cli.Tests.Waiting;

public sealed class StatusWaiterTests
{
    private static Func<CancellationToken, Task<JsonObject?>> Sequence(params string?[] statuses)
    {
        var queue = new Queue<string?>(statuses);
        return _ => Task.FromResult(queue.Count > 1 ? Instance(queue.Dequeue()) : Instance(queue.Peek()));

        static JsonObject? Instance(string? status) => status switch
        {
            null => null,
            "ERROR" => new JsonObject { ["status"] = status, ["fault"] = new JsonObject { ["message"] = "The guest did not start." } },
            _ => new JsonObject { ["status"] = status },
        };
    }

    private static (StatusWaiter Waiter, StringWriter Lines) Waiter()
    {
        var lines = new StringWriter();
        return (new StatusWaiter(new PlainWaitDisplay(lines), new SteppingTimeProvider()), lines);
    }

    private static string[] Statuses(StringWriter lines) =>
        [.. lines.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(": ")[^1].Trim())];

    [Fact]
    public async Task EachTransition_IsReportedOnce_AndTheWaitEndsWhenActive()
    {
        var (waiter, lines) = Waiter();
        var ended = await waiter.WaitAsync("instance shop", Sequence("BUILD", "BUILD", "BUILD", "ACTIVE"), WaitJudges.InstanceActive,
            TimeSpan.FromMinutes(1), default);
        Assert.Equal("ACTIVE", ended!["status"]!.ToString());
        Assert.Equal(["BUILD", "ACTIVE"], Statuses(lines));
        Assert.StartsWith("[   0.0s] instance shop: BUILD", lines.ToString(), StringComparison.Ordinal);
        Assert.Contains("[   1.5s] instance shop: ACTIVE", lines.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Error_EndsTheWaitWithExit1_AndTheFault()
    {
        var (waiter, _) = Waiter();
        var error = await Assert.ThrowsAsync<CliException>(() => waiter.WaitAsync("instance shop", Sequence("BUILD", "ERROR"),
            WaitJudges.InstanceActive, TimeSpan.FromMinutes(1), default));
        Assert.Equal(ExitCodes.Failed, error.ExitCode);
        Assert.Equal("instance shop is ERROR: The guest did not start.", error.Message);
    }

    [Fact]
    public async Task TheDeadline_EndsTheWaitWithExit5_AndTheLastStatus()
    {
        var (waiter, _) = Waiter();
        var error = await Assert.ThrowsAsync<CliException>(() => waiter.WaitAsync("instance shop", Sequence("RESIZE"),
            WaitJudges.InstanceActive, TimeSpan.FromSeconds(3), default));
        Assert.Equal(ExitCodes.TimedOut, error.ExitCode);
        Assert.Contains("still RESIZE", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ADeletedInstance_IsDone_WhenItIsGone()
    {
        var (waiter, lines) = Waiter();
        Assert.Null(await waiter.WaitAsync("instance shop", Sequence("SHUTDOWN", null), WaitJudges.InstanceGone, TimeSpan.FromMinutes(1), default));
        Assert.Equal(["SHUTDOWN", "DELETED"], Statuses(lines));
    }

    [Theory]
    [InlineData("COMPLETED", nameof(WaitOutcome.Done))]
    [InlineData("FAILED", nameof(WaitOutcome.Failed))]
    [InlineData("BUILDING", nameof(WaitOutcome.Pending))]
    [InlineData("NEW", nameof(WaitOutcome.Pending))]
    public void Backups_AreDoneWhenCompleted(string status, string outcome) =>
        Assert.Equal(Enum.Parse<WaitOutcome>(outcome), WaitJudges.BackupCompleted(new JsonObject { ["status"] = status }).Outcome);
}

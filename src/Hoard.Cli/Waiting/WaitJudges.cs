using System.Text.Json.Nodes;
using Hoard.Cli.Output;

namespace Hoard.Cli.Waiting;

/// <summary>When a long operation on each kind of resource is over, read from the resource as the API shows it.</summary>
internal static class WaitJudges
{
    /// <summary>An instance's operation ends when it is ACTIVE again; ERROR ends it with the instance's fault.</summary>
    public static WaitState InstanceActive(JsonObject? instance) => Status(instance) switch
    {
        null => new WaitState("GONE", WaitOutcome.Failed, "the instance no longer exists."),
        "ACTIVE" => new WaitState("ACTIVE", WaitOutcome.Done),
        "ERROR" => new WaitState("ERROR", WaitOutcome.Failed, Fault(instance)),
        var other => new WaitState(other, WaitOutcome.Pending),
    };

    public static WaitState InstanceGone(JsonObject? instance) => Status(instance) switch
    {
        null => new WaitState("DELETED", WaitOutcome.Done),
        "ERROR" => new WaitState("ERROR", WaitOutcome.Failed, Fault(instance)),
        var other => new WaitState(other, WaitOutcome.Pending),
    };

    public static WaitState BackupCompleted(JsonObject? backup) => Status(backup) switch
    {
        null => new WaitState("GONE", WaitOutcome.Failed, "the backup no longer exists."),
        "COMPLETED" => new WaitState("COMPLETED", WaitOutcome.Done),
        "FAILED" or "ERROR" => new WaitState("FAILED", WaitOutcome.Failed, Fault(backup)),
        var other => new WaitState(other, WaitOutcome.Pending),
    };

    private static string? Status(JsonObject? resource) => resource is null ? null : JsonText.Text(resource["status"]);

    private static string Fault(JsonObject? resource) =>
        JsonText.Text(JsonText.At(resource, "fault.message")) is { Length: > 0 } message ? message : "the server gave no reason.";
}

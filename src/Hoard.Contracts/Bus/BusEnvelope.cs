using System.Text.Json;

namespace Hoard.Contracts.Bus;

/// <summary>One message on the bus. <see cref="Sender"/> is stamped by the transport, never trusted from the peer.</summary>
public sealed record BusEnvelope
{
    public const int CurrentVersion = 1;

    public int Version { get; init; } = CurrentVersion;
    public required string Kind { get; init; }
    public required string Topic { get; init; }
    public string Method { get; init; } = "";
    public JsonElement? Args { get; init; }
    public DateTimeOffset Sent { get; init; }
    public string? CorrelationId { get; init; }
    public string? ReplyTo { get; init; }
    public string? Sender { get; init; }
    public string? ErrorCode { get; init; }
    public string? Error { get; init; }
}

public static class BusKinds
{
    public const string Cast = "cast";
    public const string Call = "call";
    public const string Reply = "reply";
}

public static class BusTopics
{
    public const string TaskManager = "taskmanager";
    public const string Conductor = "conductor";

    public static string Guest(string instanceId) => "guest." + instanceId;

    /// <summary>
    /// One task manager process's own topic (<paramref name="owner"/> as in <c>workflows.owner</c>): wakes for the workflows
    /// it drives. Such a topic lives as long as its process, so transports may drop it once nobody has used it for a while.
    /// </summary>
    public static string TaskManagerProcess(string owner) => ProcessTopicPrefix + owner;

    /// <summary>The start of every per-process topic.</summary>
    public const string ProcessTopicPrefix = "taskmanager.";
}

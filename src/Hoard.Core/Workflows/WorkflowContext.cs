using System.Text.Json;
using System.Text.Json.Nodes;

namespace Hoard.Core.Workflows;

/// <summary>What a running step sees: its workflow's id, instance and shared state.</summary>
public sealed class WorkflowContext
{
    internal WorkflowContext(WorkflowRecord record, TimeProvider time)
    {
        Record = record;
        Time = time;
        Data = JsonNode.Parse(record.Data) as JsonObject ?? [];
    }

    internal WorkflowRecord Record { get; }

    public string WorkflowId => Record.Id;

    public string InstanceId => Record.InstanceId;

    public TimeProvider Time { get; }

    /// <summary>State shared by the steps; persisted after each step completes.</summary>
    public JsonObject Data { get; }

    public string? GetString(string key) => Data[key]?.GetValue<string>();

    public string RequireString(string key) =>
        GetString(key) ?? throw new InvalidOperationException($"Workflow state lacks '{key}'.");

    public T? Get<T>(string key, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) =>
        Data[key] is { } node ? node.Deserialize(type) : default;

    public void Set<T>(string key, T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) =>
        Data[key] = JsonSerializer.SerializeToNode(value, type);

    internal void Flush() => Record.Data = Data.ToJsonString();
}

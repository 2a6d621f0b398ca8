using System.Text.Json.Nodes;
using Hoard.Cli.Output;

namespace Hoard.Cli.Commands.Connect;

/// <summary>Where an instance (as <c>instance show</c> returns it) takes connections, and with which client.</summary>
internal sealed record InstanceEndpoint(DatastoreClient Client, string Host, int Port)
{
    /// <summary>The endpoint, or null while the instance has no address yet (still building) or hoard knows no client for it.</summary>
    public static InstanceEndpoint? Of(JsonObject instance)
    {
        var host = JsonText.At(instance, "ip") is JsonArray { Count: > 0 } ips ? ips[0]?.ToString() : null;
        if (string.IsNullOrEmpty(host) || DatastoreClient.Find(Datastore(instance)) is not { } client)
        {
            return null;
        }

        var port = instance["port"] is JsonValue value && value.TryGetValue<int>(out var given) ? given : client.DefaultPort;
        return new InstanceEndpoint(client, host, port);
    }

    /// <summary>The endpoint, or why there is none, as the one line <c>hoard connect</c> fails with.</summary>
    public static InstanceEndpoint Require(JsonObject instance) => Of(instance) ?? throw new CliException(
        DatastoreClient.Find(Datastore(instance)) is null
            ? $"hoard knows no client for datastore '{Datastore(instance)}'."
            : $"Instance {instance["name"]} has no address yet (status {instance["status"]}).");

    public string ConnectionString => Client.ConnectionString(Host, Port);

    private static string Datastore(JsonObject instance) => JsonText.Text(JsonText.At(instance, "datastore.type"));
}

using System.Text.Json;
using Hoard.Core.Catalog;
using Hoard.Core.Instances;
using Hoard.Persistence;

namespace Hoard.Server.Trove;

/// <summary>
/// The body of <c>GET /instances</c> and <c>/instances/detail</c>, written straight to UTF-8: byte for byte what
/// <see cref="Views.Instance"/> or <see cref="Views.InstanceDetail"/> (no fault, no volume usage, as a list shows them),
/// <c>ReplicationApi.AddLinks</c> and <see cref="Views.AddNextLink"/> make as JSON nodes, which a test compares. Building
/// those nodes (about 6 KB of objects per instance) was the largest allocation of a list request.
/// </summary>
internal static class InstanceListView
{
    public static void Write(Utf8JsonWriter writer, InstancePage page, IReadOnlyDictionary<string, DatastoreVersion> versions, bool detail,
        string baseUrl, string region, string? nextUrl)
    {
        writer.WriteStartObject();
        writer.WriteStartArray("instances");
        foreach (var instance in page.Instances)
        {
            WriteInstance(writer, instance, versions.GetValueOrDefault(instance.DatastoreVersionId), page.Replicas.GetValueOrDefault(instance.Id),
                detail, baseUrl, region);
        }

        writer.WriteEndArray();
        if (nextUrl is not null)
        {
            writer.WriteStartArray("links");
            writer.WriteStartObject();
            writer.WriteString("rel", "next");
            writer.WriteString("href", nextUrl);
            writer.WriteEndObject();
            writer.WriteEndArray();
        }

        writer.WriteEndObject();
    }

    private static void WriteInstance(Utf8JsonWriter writer, InstanceRecord i, DatastoreVersion? version, IReadOnlyList<string>? replicas,
        bool detail, string baseUrl, string region)
    {
        writer.WriteStartObject();
        writer.WriteString("id", i.Id);
        writer.WriteString("name", i.Name);
        writer.WriteString("status", InstanceStatusView.Status(i.Task, i.ServerStatus));
        writer.WriteString("operating_status", InstanceStatusView.OperatingStatus(i.Task, i.ServerStatus, i.ServiceStatus));
        WriteLinks(writer, baseUrl, i.ProjectId, "instances", i.Id);
        writer.WriteStartObject("flavor");
        writer.WriteString("id", i.FlavorId);
        WriteLinks(writer, baseUrl, i.ProjectId, "flavors", i.FlavorId);
        writer.WriteEndObject();
        writer.WriteStartObject("datastore");
        writer.WriteString("type", version?.DatastoreName);
        writer.WriteString("version", version?.Name);
        if (detail)
        {
            writer.WriteString("version_number", version?.Version);
        }

        writer.WriteEndObject();
        writer.WriteString("region", region);
        writer.WriteStartObject("access");
        writer.WriteBoolean("is_public", false);
        writer.WriteStartArray("allowed_cidrs");
        var allowed = AllowedCidrs.FromStored(i.AllowedCidrs);
        if (allowed.Count == 0)
        {
            writer.WriteStringValue(AllowedCidrs.Everyone);
        }

        foreach (var cidr in allowed)
        {
            writer.WriteStringValue(cidr.ToString());
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.WriteStartObject("volume");
        writer.WriteNumber("size", i.VolumeSize);
        writer.WriteEndObject();
        if (i.Address is { } address)
        {
            writer.WriteStartArray("ip");
            writer.WriteStringValue(address);
            writer.WriteEndArray();
            writer.WriteStartArray("addresses");
            writer.WriteStartObject();
            writer.WriteString("address", address);
            writer.WriteString("type", "private");
            writer.WriteEndObject();
            writer.WriteEndArray();
        }

        if (detail)
        {
            writer.WriteString("created", Views.Time(i.Created));
            writer.WriteString("updated", Views.Time(i.Updated));
            if (i.ServiceStatusUpdated is { } reported)
            {
                writer.WriteString("service_status_updated", Views.Time(reported));
            }

            if (i.Port > 0)
            {
                writer.WriteNumber("port", i.Port);
            }
        }

        // Trove's clients break on "replica_of": null; the keys are left out when they do not apply (as ReplicationApi.AddLinks).
        if (i.ReplicaOf is { } sourceId)
        {
            writer.WritePropertyName("replica_of");
            WriteInstanceLink(writer, baseUrl, i.ProjectId, sourceId);
        }

        if (replicas is { Count: > 0 })
        {
            writer.WriteStartArray("replicas");
            foreach (var replicaId in replicas)
            {
                WriteInstanceLink(writer, baseUrl, i.ProjectId, replicaId);
            }

            writer.WriteEndArray();
        }

        writer.WriteEndObject();
    }

    private static void WriteInstanceLink(Utf8JsonWriter writer, string baseUrl, string projectId, string id)
    {
        writer.WriteStartObject();
        writer.WriteString("id", id);
        WriteLinks(writer, baseUrl, projectId, "instances", id);
        writer.WriteEndObject();
    }

    /// <summary><see cref="Views.Links"/>: <c>self</c> and <c>bookmark</c>.</summary>
    private static void WriteLinks(Utf8JsonWriter writer, string baseUrl, string projectId, string collection, string id)
    {
        writer.WriteStartArray("links");
        writer.WriteStartObject();
        writer.WriteString("href", $"{baseUrl}/v1.0/{projectId}/{collection}/{id}");
        writer.WriteString("rel", "self");
        writer.WriteEndObject();
        writer.WriteStartObject();
        writer.WriteString("href", $"{baseUrl}/{collection}/{id}");
        writer.WriteString("rel", "bookmark");
        writer.WriteEndObject();
        writer.WriteEndArray();
    }
}

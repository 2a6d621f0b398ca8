using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hoard.Contracts.Guest;
using Hoard.Core.Catalog;
using Hoard.Core.Instances;
using Hoard.Persistence;
using Hoard.Server.Apis;
using Hoard.Server.Trove;
using Microsoft.AspNetCore.Http;

namespace Hoard.Core.Tests.Server.Trove;

/// <summary>
/// <c>GET /instances</c> writes its body straight to UTF-8 (<see cref="InstanceListView"/>); it must be byte for byte what
/// the views built as JSON nodes make, for every shape of instance a list can show.
/// </summary>
public sealed class InstanceListViewTests
{
    private const string BaseUrl = "http://127.0.0.1:8779";
    private const string Region = "RegionOne";
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 6, 0, 0, 123, TimeSpan.Zero);

    [Theory]
    [InlineData(false, 3)]
    [InlineData(true, 3)]
    [InlineData(false, 10)]
    [InlineData(true, 10)]
    public void TheWrittenBody_IsTheNodesBody_ByteForByte(bool detail, int limit)
    {
        var version = new DatastoreVersion("v1", "mariadb", "mariadb", "10.11", "10.11.6", "mariadb", true, ShippedDatastores.MariaDb, []);
        var source = Instance("source", "127.100.0.2");
        source.AllowedCidrs = AllowedCidrs.ToStored(AllowedCidrs.Parse(["10.0.0.0/8", "192.168.1.0/24"]));
        source.Name = "db \"ü\" +1 <a>";
        var replica = Instance("replica", null);
        replica.ReplicaOf = source.Id;
        replica.Task = InstanceTask.Building;
        replica.ServerStatus = ServerStatus.Build;
        replica.ServiceStatus = ServiceStatus.New;
        replica.ServiceStatusUpdated = null;
        replica.Port = 0;
        replica.DatastoreVersionId = "gone";
        var plain = Instance("plain", "127.100.0.4");
        plain.ServiceStatus = ServiceStatus.Shutdown;
        var page = new InstancePage([source, replica, plain],
            new Dictionary<string, IReadOnlyList<string>> { [source.Id] = [replica.Id, "another-replica"] });
        var versions = new Dictionary<string, DatastoreVersion> { [version.Id] = version };
        var request = new DefaultHttpContext().Request;
        request.Scheme = "http";
        request.Host = new HostString("127.0.0.1:8779");
        request.Path = "/v1.0/p1/instances" + (detail ? "/detail" : "");

        var views = page.Instances.Select(i => (i, detail
            ? Views.InstanceDetail(i, versions.GetValueOrDefault(i.DatastoreVersionId), null, null, BaseUrl, Region)
            : Views.Instance(i, versions.GetValueOrDefault(i.DatastoreVersionId), BaseUrl, Region))).ToList();
        ReplicationApi.AddLinks(views, page.Replicas, BaseUrl);
        var nodes = new JsonObject { ["instances"] = new JsonArray([.. views.Select(v => (JsonNode)v.Item2)]) };
        Views.AddNextLink(nodes, request, limit, page.Instances.Count, page.Instances[^1].Id);

        var written = new MemoryStream();
        using (var writer = new Utf8JsonWriter(written, JsonReply.WriterOptions))
        {
            InstanceListView.Write(writer, page, versions, detail, BaseUrl, Region, Views.NextUrl(request, limit, page.Instances.Count, page.Instances[^1].Id));
        }

        var expected = nodes.ToJsonString(Reply.Output);
        Assert.Equal(expected, Encoding.UTF8.GetString(written.ToArray()));
        Assert.Equal(limit == 3, expected.Contains("\"rel\":\"next\"", StringComparison.Ordinal));
        Assert.Contains("\"replica_of\"", expected, StringComparison.Ordinal);
        Assert.Contains("\"replicas\"", expected, StringComparison.Ordinal);
    }

    private static InstanceRecord Instance(string name, string? address) => new()
    {
        Id = Guid.NewGuid().ToString(), ProjectId = "p1", Name = name, FlavorId = "1", DatastoreVersionId = "v1", VolumeSize = 2,
        Task = InstanceTask.None, ServerStatus = ServerStatus.Active, ServiceStatus = ServiceStatus.Healthy, ServiceStatusUpdated = Start.AddSeconds(5),
        Address = address, Port = 3306, Created = Start, Updated = Start.AddMinutes(1),
    };
}

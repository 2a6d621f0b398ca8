using System.Text.Json.Nodes;
using Hoard.Contracts.Guest;
using Hoard.Server.GuestLogs;
using Hoard.Server.Trove;

namespace Hoard.Core.Tests.Server.GuestLogs;

public class GuestLogRulesTests
{
    private static readonly GuestLogMetafile Published = new(100, [new GuestLogPart("p/i/slow_query/log-000001", 100, 3, DateTimeOffset.UnixEpoch)]);

    [Theory]
    [InlineData(GuestLogState.Disabled, 100, "Disabled")]
    [InlineData(GuestLogState.Unavailable, 100, "Unavailable")]
    [InlineData(GuestLogState.Enabled, 100, "Published")]
    [InlineData(GuestLogState.Enabled, 150, "Partial")]
    [InlineData(GuestLogState.AlwaysOn, 40, "Rotated")]
    public void Status_FollowsTroveStates(GuestLogState state, long end, string expected) =>
        Assert.Equal(expected, GuestLogStatus.Of(state, end, Published));

    [Fact]
    public void Status_NothingPublished_IsEnabledOrReady()
    {
        Assert.Equal("Enabled", GuestLogStatus.Of(GuestLogState.Enabled, 0, GuestLogMetafile.Empty));
        Assert.Equal("Ready", GuestLogStatus.Of(GuestLogState.AlwaysOn, 10, GuestLogMetafile.Empty));
    }

    [Fact]
    public void Pending_AfterRotation_IsTheWholeNewLog()
    {
        Assert.Equal(50, GuestLogStatus.Pending(150, 100));
        Assert.Equal(40, GuestLogStatus.Pending(40, 100));
    }

    [Fact]
    public void Parse_TroveBody_ReadsEachAction()
    {
        var action = GuestLogAction.Parse(JsonNode.Parse("""{"name":"slow_query","discard":1,"publish":1,"enable":0}""")!.AsObject());
        Assert.Equal(new GuestLogAction("slow_query", false, false, true, true), action);
        Assert.False(GuestLogAction.Parse(JsonNode.Parse("""{"name":"general"}""")!.AsObject()).ChangesAnything);
    }

    [Theory]
    [InlineData("""{"name":"slow_query","enable":1,"disable":1}""")]
    [InlineData("""{"name":"slow_query","enable":2}""")]
    [InlineData("""{"name":"slow_query","publish":"1"}""")]
    [InlineData("""{"name":"slow_query","rotate":1}""")]
    [InlineData("""{"enable":1}""")]
    [InlineData("""{"name":""}""")]
    public void Parse_BadBody_IsBadRequest(string body)
    {
        var fault = Assert.Throws<TroveFault>(() => GuestLogAction.Parse(JsonNode.Parse(body)!.AsObject()));
        Assert.Equal(400, fault.Code);
    }

    [Fact]
    public void LastLines_KeepsTheEnd()
    {
        Assert.Equal("c\nd\n", GuestLogPublisher.LastLines("a\nb\nc\nd\n", 2));
        Assert.Equal("a\n", GuestLogPublisher.LastLines("a\n", 5));
    }

    [Fact]
    public void Location_FromAPartName_IsItsLog()
    {
        var location = GuestLogLocation.For("p", "i", "slow_query");
        Assert.Equal(location, GuestLogLocation.FromObjectName(location.PartName(3)));
        Assert.Equal(location, GuestLogLocation.FromObjectName(location.Prefix));
        Assert.Null(GuestLogLocation.FromObjectName("p/i"));
    }
}

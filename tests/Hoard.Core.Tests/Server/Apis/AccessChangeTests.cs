using System.Text.Json.Nodes;
using Hoard.Core.Compute;
using Hoard.Core.Instances;
using Hoard.Providers.Local;
using Hoard.Server.Apis;
using Hoard.Server.Trove;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hoard.Core.Tests.Server.Apis;

public sealed class AccessChangeTests
{
    // Parse and the view only ask a provider whether it enforces; nothing here touches the host's rules.
    private static readonly INetworkAccessProvider Enforcing =
        new NftFirewall(new LocalOptions { DataDir = "/tmp/hoard-access-tests", BusSocket = "unused" }, NullLogger<NftFirewall>.Instance);
    private static readonly INetworkAccessProvider Unenforced = new UnenforcedNetworkAccess("hoard-server does not run as root");

    [Theory]
    [InlineData("""{"is_public":false}""", null)]
    [InlineData("""{}""", null)]
    [InlineData("""{"allowed_cidrs":[]}""", null)]
    [InlineData("""{"allowed_cidrs":["0.0.0.0/0"]}""", null)]
    [InlineData("""{"is_public":false,"allowed_cidrs":["127.0.0.2/32"]}""", "127.0.0.2/32")]
    [InlineData("""{"allowed_cidrs":["127.0.0.2","10.0.0.0/8"]}""", "127.0.0.2/32,10.0.0.0/8")]
    public void Parse_ValidAccess_IsStoredNormalised(string json, string? expected) =>
        Assert.Equal(expected, AccessChange.Parse(Obj(json), "instance.access", Enforcing));

    [Theory]
    [InlineData("""{"allowed_cidrs":["10.1.2.3/8"]}""", "host bits set")]
    [InlineData("""{"allowed_cidrs":["127.0.0.2/32","127.0.0.2"]}""", "more than once")]
    [InlineData("""{"allowed_cidrs":["::1/128"]}""", "not an IPv4 CIDR")]
    [InlineData("""{"allowed_cidrs":[3232235777]}""", "must be a string")]
    [InlineData("""{"allowed_cidrs":"127.0.0.2/32"}""", "must be an array")]
    [InlineData("""{"is_public":"no"}""", "must be a boolean")]
    [InlineData("""{"public":false}""", "unexpected property 'public'")]
    [InlineData("""{"is_public":true}""", "no public network")]
    public void Parse_BadAccess_IsBadRequest(string json, string reason)
    {
        var fault = Assert.Throws<TroveFault>(() => AccessChange.Parse(Obj(json), "instance.access", Enforcing));
        Assert.Equal(400, fault.Code);
        Assert.Contains(reason, fault.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_Restriction_WhereNothingEnforcesIt_IsRefusedSayingWhy()
    {
        var fault = Assert.Throws<TroveFault>(() =>
            AccessChange.Parse(Obj("""{"allowed_cidrs":["127.0.0.2/32"]}"""), "instance.access", Unenforced));
        Assert.Equal(400, fault.Code);
        Assert.Contains("does not run as root", fault.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_NoRestriction_WhereNothingEnforces_IsAccepted() =>
        Assert.Null(AccessChange.Parse(Obj("""{"is_public":false,"allowed_cidrs":[]}"""), "instance.access", Unenforced));

    [Fact]
    public void View_ShowsEveryoneWhenUnrestricted_AndClaimsNoEnforcementItLacks()
    {
        var open = Instance(null);
        var view = new JsonObject { ["access"] = Views.Access(open) };
        AccessChange.AddEnforcement(view, open, Enforcing);
        Assert.Equal("""{"is_public":false,"allowed_cidrs":["0.0.0.0/0"],"enforced_by":[]}""", view["access"]!.ToJsonString());

        var restricted = Instance("127.0.0.2/32");
        view = new JsonObject { ["access"] = Views.Access(restricted) };
        AccessChange.AddEnforcement(view, restricted, Enforcing);
        Assert.Equal("""{"is_public":false,"allowed_cidrs":["127.0.0.2/32"],"enforced_by":["nftables"]}""", view["access"]!.ToJsonString());

        view = new JsonObject { ["access"] = Views.Access(restricted) };
        AccessChange.AddEnforcement(view, restricted, Unenforced);
        Assert.Equal("[]", view["access"]!["enforced_by"]!.ToJsonString());
        Assert.Equal("hoard-server does not run as root", view["access"]!["reason"]!.GetValue<string>());
    }

    private static InstanceRecord Instance(string? allowedCidrs) => new()
    {
        Id = Guid.NewGuid().ToString(), ProjectId = "p", Name = "n", FlavorId = "1", DatastoreVersionId = "v", AllowedCidrs = allowedCidrs,
    };

    private static JsonObject Obj(string json) => JsonNode.Parse(json)!.AsObject();
}

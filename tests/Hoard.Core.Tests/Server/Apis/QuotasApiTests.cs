using System.Text.Json.Nodes;
using Hoard.Server.Apis;
using Hoard.Server.Hosting;
using Hoard.Server.Trove;

namespace Hoard.Core.Tests.Server.Apis;

public class QuotasApiTests
{
    [Fact]
    public void ParseLimits_KnownResources_AreReturned_AndNullIsSkippedAsInTrove()
    {
        var limits = QuotasApi.ParseLimits(Obj("""{"quotas":{"instances":10,"ram":-1,"volumes":0,"backups":null}}"""));
        Assert.Equal(new Dictionary<string, int> { ["instances"] = 10, ["ram"] = -1, ["volumes"] = 0 }, limits);
    }

    [Fact]
    public void ParseLimits_UnknownResources_AreNotFound_NamingThemAll()
    {
        var fault = Assert.Throws<TroveFault>(() => QuotasApi.ParseLimits(Obj("""{"quotas":{"instances":1,"cores":2,"gpus":3}}""")));
        Assert.Equal((404, "itemNotFound", "Unknown quota resources ['cores', 'gpus']."), (fault.Code, fault.Name, fault.Message));
    }

    [Theory]
    [InlineData("""{"quotas":{"instances":-2}}""")]
    [InlineData("""{"quotas":{"instances":"10"}}""")]
    [InlineData("""{"quotas":{"instances":1.5}}""")]
    [InlineData("""{"quotas":{"instances":true}}""")]
    [InlineData("""{"quotas":{"instances":99999999999}}""")]
    [InlineData("""{"quotas":{"instances":[1]}}""")]
    [InlineData("""{"quotas":[]}""")]
    [InlineData("""{"quota":{"instances":1}}""")]
    [InlineData("""{}""")]
    public void ParseLimits_BadInput_IsBadRequest(string json)
    {
        var fault = Assert.Throws<TroveFault>(() => QuotasApi.ParseLimits(Obj(json)));
        Assert.Equal((400, "badRequest"), (fault.Code, fault.Name));
    }

    [Fact]
    public void Exceeded_IsTrovesOverLimit_WithAPythonList()
    {
        var fault = QuotasApi.Exceeded(["instances", "ram"]);
        Assert.Equal((413, "overLimit", "Quota exceeded for resources: ['instances', 'ram']."), (fault.Code, fault.Name, fault.Message));
    }

    [Fact]
    public void Defaults_ComeFromTheOperatorsOptions()
    {
        var defaults = QuotasApi.Defaults(new HoardOptions { DefaultInstanceQuota = 3, DefaultVolumeQuotaGb = 30, DefaultBackupQuota = 4 });
        Assert.Equal(new Dictionary<string, int> { ["instances"] = 3, ["ram"] = -1, ["volumes"] = 30, ["backups"] = 4 }, defaults);
    }

    private static JsonObject Obj(string json) => JsonNode.Parse(json)!.AsObject();
}

using System.Text.Json.Nodes;
using Hoard.Cli.Http;

namespace Hoard.Cli.Tests.Http;

public sealed class ApiFaultTests
{
    [Fact]
    public void TroveFault_BecomesItsMessageAndStatus()
    {
        var error = ApiFault.ToException(400, "Bad Request", JsonNode.Parse("""{"badRequest":{"code":400,"message":"Flavor 99 could not be found."}}"""));
        Assert.Equal("Flavor 99 could not be found. (HTTP 400)", error.Message);
        Assert.Equal(ExitCodes.Failed, error.ExitCode);
    }

    [Theory]
    [InlineData(401, ExitCodes.Auth)]
    [InlineData(404, ExitCodes.NotFound)]
    [InlineData(403, ExitCodes.Failed)]
    [InlineData(413, ExitCodes.Failed)]
    [InlineData(500, ExitCodes.Failed)]
    public void Status_ChoosesTheExitCode(int status, int exitCode) =>
        Assert.Equal(exitCode, ApiFault.ToException(status, null, JsonNode.Parse("""{"error":{"code":1,"message":"m"}}""")).ExitCode);

    [Fact]
    public void MultiLineMessages_AreJoinedIntoOneLine()
    {
        var error = ApiFault.ToException(422, null, JsonNode.Parse("""{"unprocessableEntity":{"message":"first\nsecond\r\n third"}}"""));
        Assert.Equal("first second third (HTTP 422)", error.Message);
    }

    [Fact]
    public void ABodyWithoutAFault_FallsBackToTheReason() =>
        Assert.Equal("Bad Gateway. (HTTP 502)", ApiFault.ToException(502, "Bad Gateway", null).Message);
}

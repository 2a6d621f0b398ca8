using Hoard.Server.Observability;
using Microsoft.AspNetCore.Http;

namespace Hoard.Core.Tests.Server.Observability;

public sealed class MetricsAccessTests
{
    [Theory]
    [InlineData(null, null, true)]
    [InlineData("", "Bearer anything", true)]
    [InlineData("s3cret", null, false)]
    [InlineData("s3cret", "Bearer wrong", false)]
    [InlineData("s3cret", "Basic s3cret", false)]
    [InlineData("s3cret", "Bearer s3cret", true)]
    public void Allows_OnlyTheConfiguredBearerToken_WhenOneIsSet(string? token, string? authorization, bool allowed)
    {
        var context = new DefaultHttpContext();
        if (authorization is not null)
        {
            context.Request.Headers.Authorization = authorization;
        }

        Assert.Equal(allowed, MetricsAccess.Allows(context.Request, token));
    }
}

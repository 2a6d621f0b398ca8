using System.Net;
using System.Text.Json.Nodes;
using Hoard.Core.Identity;
using Hoard.Server.Hosting;
using Hoard.Server.Identity;
using Hoard.Server.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Hoard.Core.Tests.Server.RateLimiting;

/// <summary>The middleware on a real Kestrel, behind a stand-in for the token check that scopes each call to X-Project.</summary>
public sealed class ProjectRateLimitMiddlewareTests : IAsyncLifetime
{
    private WebApplication _app = null!;
    private readonly HttpClient _http = new();

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(Options.Create(new HoardOptions { RateLimits = new RateLimitOptions { PostPerMinute = 2 } }))
            .AddSingleton(TimeProvider.System).AddSingleton<ProjectRateLimiter>();
        _app = builder.Build();
        _app.Use(async (context, next) =>
        {
            if (context.Request.Headers["X-Project"].ToString() is { Length: > 0 } project)
            {
                context.Items[TroveAuthMiddleware.TokenKey] = new TokenInfo("u", "user", project, project, [RoleNames.Member],
                    DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddHours(1));
            }

            await next(context);
        });
        _app.UseMiddleware<ProjectRateLimitMiddleware>();
        _app.MapPost("/things", () => Results.Accepted());
        _app.MapGet("/things", () => Results.Ok());
        await _app.StartAsync();
        _http.BaseAddress = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _app.DisposeAsync();
    }

    [Fact]
    public async Task ThirdPostInAMinute_Is413OverLimitWithRetryAfter_OtherVerbsAndProjectsUnaffected()
    {
        Assert.Equal(HttpStatusCode.Accepted, (await SendAsync(HttpMethod.Post, "p1")).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await SendAsync(HttpMethod.Post, "p1")).StatusCode);

        using var refused = await SendAsync(HttpMethod.Post, "p1");

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, refused.StatusCode);
        var retryAfter = refused.Headers.RetryAfter?.Delta;
        Assert.True(retryAfter is { TotalSeconds: > 0 and <= 60 }, $"Retry-After was {refused.Headers.RetryAfter}");
        var fault = JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["overLimit"]!;
        Assert.Equal(413, fault["code"]!.GetValue<int>());
        Assert.Equal(((int)retryAfter!.Value.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture),
            fault["retryAfter"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Get, "p1")).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await SendAsync(HttpMethod.Post, "p2")).StatusCode);
    }

    [Fact]
    public async Task UnauthenticatedCalls_CountAgainstNoOne()
    {
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.Accepted, (await SendAsync(HttpMethod.Post, null)).StatusCode);
        }

        Assert.Equal(HttpStatusCode.Accepted, (await SendAsync(HttpMethod.Post, "p3")).StatusCode);
    }

    private Task<HttpResponseMessage> SendAsync(HttpMethod method, string? project)
    {
        var request = new HttpRequestMessage(method, "/things");
        if (project is not null)
        {
            request.Headers.Add("X-Project", project);
        }

        return _http.SendAsync(request);
    }
}

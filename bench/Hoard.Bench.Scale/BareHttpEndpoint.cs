using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Hoard.Bench.Scale;

/// <summary>
/// The list load's baseline, run as a child process (<c>--serve-bare-http URL DIR</c>) so that it, like hoard-server,
/// has a process of its own: Kestrel with no middleware, answering each captured path and query with Hoard's bytes.
/// It stands for what any HTTP server costs on this machine with this client, so Hoard / bare is what Hoard adds.
/// </summary>
internal static class BareHttpEndpoint
{
    public static async Task<int> ServeAsync(string url, string directory)
    {
        var answers = CapturedAnswers.Load(directory);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(url);
        await using var app = builder.Build();
        app.Run(async context =>
        {
            if (!answers.TryGetValue(context.Request.Path + context.Request.QueryString, out var answer))
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }

            context.Response.ContentType = answer.ContentType;
            context.Response.ContentLength = answer.Body.Length;
            await context.Response.Body.WriteAsync(answer.Body, context.RequestAborted);
        });
        await app.StartAsync();
        Console.WriteLine(ChildProcess.Ready);
        await ChildProcess.WaitForStopAsync();
        await app.StopAsync();
        return 0;
    }
}

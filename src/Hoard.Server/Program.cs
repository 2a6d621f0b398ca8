using Hoard.Server.Hosting;

// The content root is the binary's directory, so its appsettings.json applies wherever the server is started from.
var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
try
{
    builder.AddOperatorConfig();
    builder.AddHoard();
}
catch (InvalidOperationException e)
{
    // A setting that cannot work (an unknown role or bus): one line saying which, not a stack trace.
    await Console.Error.WriteLineAsync($"hoard-server: {e.Message}");
    return 2;
}

var app = builder.Build();
await app.Services.GetRequiredService<Bootstrapper>().RunAsync(app.Lifetime.ApplicationStopping);
app.MapHoard();
await app.RunAsync();
return 0;

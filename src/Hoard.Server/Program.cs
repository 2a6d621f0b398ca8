using Hoard.Server.Hosting;

// The content root is the binary's directory, so its appsettings.json applies wherever the server is started from.
var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.AddHoard();
var app = builder.Build();
await app.Services.GetRequiredService<Bootstrapper>().RunAsync(app.Lifetime.ApplicationStopping);
app.MapHoard();
await app.RunAsync();

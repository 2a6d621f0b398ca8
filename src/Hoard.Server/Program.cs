using Hoard.Server.Hosting;

var builder = WebApplication.CreateSlimBuilder(args);
builder.AddHoard();
var app = builder.Build();
await app.Services.GetRequiredService<Bootstrapper>().RunAsync(app.Lifetime.ApplicationStopping);
app.MapHoard();
await app.RunAsync();

using Hoard.Cli.Http;

namespace Hoard.Cli.Commands;

/// <summary>What every command may use, made once per run.</summary>
internal sealed class CliServices(CliEnvironment environment, HttpClient http, TimeProvider time)
{
    public CliEnvironment Environment { get; } = environment;

    public HttpClient Http { get; } = http;

    public TimeProvider Time { get; } = time;

    public KeystoneClient Keystone => new(Http);

    public SessionStore Sessions => new(Environment.ConfigPath);

    /// <summary>A client of the database service, signed in from the <c>OS_*</c> variables or the stored login.</summary>
    public async Task<HoardClient> ConnectAsync(CancellationToken cancellationToken) =>
        new(Http, await new SessionProvider(Environment, Keystone, Sessions, Time).GetAsync(cancellationToken));
}

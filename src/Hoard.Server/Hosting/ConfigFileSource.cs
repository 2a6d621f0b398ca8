using Microsoft.Extensions.Configuration.Json;

namespace Hoard.Server.Hosting;

/// <summary>
/// <c>--config /etc/hoard/api.json</c> (or <c>HOARD_CONFIG</c>): an operator's settings file, read after the shipped
/// appsettings.json and before the environment and the command line, so that secrets from a systemd EnvironmentFile and
/// flags such as <c>--roles</c> still win over it.
/// </summary>
internal static class ConfigFileSource
{
    public static void AddOperatorConfig(this WebApplicationBuilder builder)
    {
        var path = builder.Configuration["config"] ?? Environment.GetEnvironmentVariable("HOARD_CONFIG");
        if (string.IsNullOrWhiteSpace(path))
        {
            return;
        }

        if (!File.Exists(path))
        {
            throw new InvalidOperationException($"The settings file '{path}' (--config or HOARD_CONFIG) does not exist.");
        }

        var sources = builder.Configuration.Sources;
        var afterJson = sources.Select((s, i) => (s, i)).LastOrDefault(x => x.s is JsonConfigurationSource).i + 1;
        var source = new JsonConfigurationSource { Path = Path.GetFullPath(path), Optional = false, ReloadOnChange = false };
        source.ResolveFileProvider();
        sources.Insert(afterJson, source);
    }
}

using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Hoard.Cli.Commands.Configurations;

/// <summary>The <c>--values</c> of a group, a JSON object as the OpenStack client takes it: <c>'{"max_connections": 300}'</c>.</summary>
internal static class ConfigurationValues
{
    public static Option<string> Option(bool required) => new("--values")
    {
        Description = "The settings, as a JSON object, e.g. '{\"max_connections\": 300}'.", Required = required,
    };

    public static JsonObject Parse(string text)
    {
        try
        {
            return JsonNode.Parse(text) as JsonObject ?? throw CliException.Usage("--values must be a JSON object, e.g. '{\"max_connections\": 300}'.");
        }
        catch (JsonException e)
        {
            throw CliException.Usage($"--values is not valid JSON: {e.Message}");
        }
    }

    public static Argument<string> GroupArgument(CliServices services) => NameCompletion.Completing(
        new Argument<string>("configuration") { Description = "The group's name or id." }, services, ResourceKind.Configuration);
}

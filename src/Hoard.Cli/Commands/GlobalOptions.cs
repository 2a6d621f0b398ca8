using System.CommandLine;
using Hoard.Cli.Output;

namespace Hoard.Cli.Commands;

/// <summary>Options every command takes, read back by name wherever they were given.</summary>
internal static class GlobalOptions
{
    public const string OutputName = "--output";

    public static Option<OutputFormat> CreateOutput() => new(OutputName, "-o")
    {
        Description = "How results are printed: table, json or yaml.",
        HelpName = "table|json|yaml",
        DefaultValueFactory = _ => OutputFormat.Table,
        Recursive = true,
    };
}

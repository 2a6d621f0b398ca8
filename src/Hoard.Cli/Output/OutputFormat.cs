namespace Hoard.Cli.Output;

internal enum OutputFormat
{
    Table,
    Json,
    Yaml,
}

namespace Hoard.Cli;

/// <summary>A failure the user should read as one line, with the exit code that says what kind it was.</summary>
internal sealed class CliException(string message, int exitCode = ExitCodes.Failed) : Exception(message)
{
    public int ExitCode { get; } = exitCode;

    public static CliException Usage(string message) => new(message, ExitCodes.Usage);

    public static CliException Auth(string message) => new(message, ExitCodes.Auth);

    public static CliException NotFound(string message) => new(message, ExitCodes.NotFound);
}

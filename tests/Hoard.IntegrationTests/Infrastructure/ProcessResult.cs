namespace Hoard.IntegrationTests.Infrastructure;

/// <summary>How an external command ended, with its output (shown whole when a test fails).</summary>
internal sealed record ProcessResult(string Command, int ExitCode, string Stdout, string Stderr)
{
    public bool Succeeded => ExitCode == 0;

    public override string ToString() => $"`{Command}` exited {ExitCode}\n--- stdout:\n{Stdout}\n--- stderr:\n{Stderr}";
}

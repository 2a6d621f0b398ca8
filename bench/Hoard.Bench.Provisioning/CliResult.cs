namespace Hoard.Bench.Provisioning;

internal sealed record CliResult(int ExitCode, string Output);

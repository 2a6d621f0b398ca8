namespace Hoard.Cli;

/// <summary>What <c>hoard</c> exits with; scripts rely on these, so they never change meaning (docs/cli.md).</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int Usage = 2;
    public const int Auth = 3;
    public const int NotFound = 4;
    public const int TimedOut = 5;
}

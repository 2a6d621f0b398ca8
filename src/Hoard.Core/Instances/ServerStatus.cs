namespace Hoard.Core.Instances;

/// <summary>What the compute provider says about the instance's guest (Nova's server status in Trove).</summary>
public enum ServerStatus
{
    Build,
    Active,
    Shutdown,
    Error,
}

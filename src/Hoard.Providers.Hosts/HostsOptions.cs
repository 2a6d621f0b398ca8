namespace Hoard.Providers.Hosts;

/// <summary>Deadlines of the calls the <c>hosts</c> providers make to host agents.</summary>
public sealed class HostsOptions
{
    /// <summary>Quick questions (is a guest running, how full is a volume): a host that does not answer in time counts as not answering.</summary>
    public TimeSpan QueryTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Actions that make or remove things (start a guest, create a volume, release).</summary>
    public TimeSpan ActionTimeout { get; init; } = TimeSpan.FromSeconds(60);
}

namespace Hoard.Bench.Provisioning;

/// <summary>A datastore set up by hand, the way an operator would: the baseline Hoard's times are divided by.</summary>
internal interface IByHandBaseline
{
    /// <summary>Set up a fresh server, poll until the first query answers, then stop it and delete its directory.</summary>
    /// <param name="idleMemory">Also wait 3 s after the first answer and read the server's memory.</param>
    Task<BaselineRun> RunOnceAsync(int index, bool idleMemory, CancellationToken cancellationToken);
}

namespace Hoard.Bench.Failover;

/// <summary>
/// The baseline: one server set up by hand with the provisioning bench's recipe (reference/host-notes.md §2), with a
/// database and user for the writer, which is killed with SIGKILL and started again at once with the same command.
/// </summary>
internal interface IByHandServer : IAsyncDisposable
{
    /// <summary>What is started, for the report.</summary>
    string Recipe { get; }

    /// <summary>Sets up and starts the server, waits until it answers, and makes the writer's database and user.</summary>
    Task<WriteTarget> SetUpAsync(CancellationToken cancellationToken);

    /// <summary>SIGKILL to the server and its children; returns once they are all gone.</summary>
    Task KillAsync();

    /// <summary>Starts the server again with the same command, without waiting for it.</summary>
    void Restart();
}

using Hoard.Contracts.Guest;

namespace Hoard.Guest.DatastoreLogs;

/// <summary>One log of a datastore that users can publish (Trove's guest log): its state, its switch and its text.</summary>
internal abstract class DatastoreLog(string name, string type)
{
    public string Name { get; } = name;

    /// <inheritdoc cref="GuestLogInfo.Type"/>
    public string Type { get; } = type;

    public abstract Task<GuestLogInfo> InfoAsync(CancellationToken cancellationToken);

    /// <summary>Turns the log on or off in the running server; throws BadRequest for a log that cannot be switched.</summary>
    public abstract Task SetEnabledAsync(bool enabled, CancellationToken cancellationToken);

    public abstract Task<GuestLogChunk> ReadAsync(long from, int maxBytes, CancellationToken cancellationToken);
}

using Hoard.Contracts.Bus;
using Hoard.Contracts.Guest;

namespace Hoard.Guest.DatastoreLogs;

/// <summary>A log the datastore writes to a file, switched (when it can be) by the datastore manager's callbacks.</summary>
/// <param name="isEnabled">Null for a log that is always written (an error log).</param>
/// <param name="keep">Which lines belong to this log, for a log that shares its file with others.</param>
internal sealed class FileDatastoreLog(
    string name,
    string type,
    string path,
    Func<CancellationToken, Task<bool>>? isEnabled = null,
    Func<bool, CancellationToken, Task>? setEnabled = null,
    Func<IReadOnlyList<string>, IEnumerable<string>>? keep = null) : DatastoreLog(name, type)
{
    public override async Task<GuestLogInfo> InfoAsync(CancellationToken cancellationToken) =>
        new(Name, Type, await StateAsync(cancellationToken), LogFileReader.Size(path));

    public override Task SetEnabledAsync(bool enabled, CancellationToken cancellationToken) =>
        setEnabled is null
            ? throw new HandlerException(GuestErrorCodes.BadRequest, $"The {Name} log is always on; it cannot be enabled or disabled.")
            : setEnabled(enabled, cancellationToken);

    public override Task<GuestLogChunk> ReadAsync(long from, int maxBytes, CancellationToken cancellationToken) =>
        LogFileReader.ReadAsync(path, from, maxBytes, keep, cancellationToken);

    private async Task<GuestLogState> StateAsync(CancellationToken cancellationToken)
    {
        if (isEnabled is null)
            return GuestLogState.AlwaysOn;
        try
        {
            return await isEnabled(cancellationToken) ? GuestLogState.Enabled : GuestLogState.Disabled;
        }
        catch (HandlerException)
        {
            return GuestLogState.Unavailable;
        }
    }
}

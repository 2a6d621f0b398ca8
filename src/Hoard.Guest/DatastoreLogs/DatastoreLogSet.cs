using Hoard.Contracts.Bus;
using Hoard.Contracts.Guest;

namespace Hoard.Guest.DatastoreLogs;

/// <summary>The guest log verbs over a datastore's logs, found by name.</summary>
internal sealed class DatastoreLogSet(IReadOnlyList<DatastoreLog> logs)
{
    /// <summary>The most one read answers, so that a reply stays a modest bus message; the rest is read by the next call.</summary>
    public const int MaxReadBytes = 1 << 20;

    public async Task<GuestLogList> ListAsync(CancellationToken cancellationToken)
    {
        var infos = new List<GuestLogInfo>(logs.Count);
        foreach (var log in logs)
            infos.Add(await log.InfoAsync(cancellationToken));
        return new GuestLogList(infos);
    }

    public async Task<GuestLogInfo> SetEnabledAsync(SetGuestLogRequest request, CancellationToken cancellationToken)
    {
        var log = Find(request.Name);
        await log.SetEnabledAsync(request.Enabled, cancellationToken);
        return await log.InfoAsync(cancellationToken);
    }

    public Task<GuestLogChunk> ReadAsync(ReadGuestLogRequest request, CancellationToken cancellationToken) =>
        Find(request.Name).ReadAsync(request.From, Math.Clamp(request.MaxBytes, 1, MaxReadBytes), cancellationToken);

    private DatastoreLog Find(string name) =>
        logs.FirstOrDefault(l => l.Name == name)
        ?? throw new HandlerException(GuestErrorCodes.BadRequest, $"This datastore has no log named '{name}'.");
}

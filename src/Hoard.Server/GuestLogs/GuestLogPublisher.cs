using System.Collections.Concurrent;
using System.Text;
using Hoard.Contracts.Bus;
using Hoard.Contracts.Guest;
using Hoard.Core.Backups;
using Hoard.Core.Instances;
using Hoard.Messaging.Clients;
using Hoard.Server.Trove;

namespace Hoard.Server.GuestLogs;

/// <summary>
/// Trove's guest log operations for one caller: lists an instance's logs, switches them, publishes what the guest has
/// written since the last publish to <see cref="GuestLogStorage"/>, discards what was published, and reads it back.
/// </summary>
internal sealed class GuestLogPublisher(IMessageBus bus, IBackupStorage storage, TimeProvider time)
{
    /// <summary>The most one publish sends; the rest stays pending (status Partial) for the next.</summary>
    public const int MaxPublishBytes = 16 << 20;

    /// <summary>The longest a publish takes; the guest answers each read within the bus call's own timeout.</summary>
    private static readonly TimeSpan PublishDeadline = TimeSpan.FromMinutes(2);

    /// <summary>One publish or discard of a log at a time, across requests: both rewrite its metafile.</summary>
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> Gates = new(StringComparer.Ordinal);

    private readonly GuestLogStorage _storage = new(storage);

    public async Task<IReadOnlyList<GuestLogView>> ListAsync(InstanceRecord instance, CancellationToken cancellationToken)
    {
        var views = new List<GuestLogView>();
        foreach (var info in await new GuestClient(bus, instance.Id).ListGuestLogsAsync(cancellationToken))
            views.Add(await ViewAsync(instance, info, cancellationToken));
        return views;
    }

    /// <summary>Checks the whole action first (404 for a log the instance does not have, 400 for switching a SYS log), then runs it.</summary>
    public async Task<GuestLogView> ActAsync(InstanceRecord instance, GuestLogAction action, CancellationToken cancellationToken)
    {
        var guest = new GuestClient(bus, instance.Id);
        var info = (await guest.ListGuestLogsAsync(cancellationToken)).FirstOrDefault(l => l.Name == action.Name)
                   ?? throw TroveFault.NotFound($"Log '{action.Name}' could not be found on instance {instance.Id}.");
        if (action.ChangesSwitch && info.Type == GuestLogTypes.System)
            throw TroveFault.BadRequest($"Log '{info.Name}' is a {GuestLogTypes.System} log: it is always on and cannot be enabled or disabled.");

        if (action.ChangesSwitch)
            info = await guest.SetGuestLogAsync(info.Name, action.Enable, cancellationToken);

        var location = GuestLogLocation.For(instance.ProjectId, instance.Id, info.Name);
        if (action.Discard || action.Publish)
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(PublishDeadline);
            var gate = Gates.GetOrAdd(location.Metafile, _ => new SemaphoreSlim(1, 1));
            await gate.WaitAsync(deadline.Token);
            try
            {
                if (action.Discard)
                    await _storage.DiscardAsync(location, await _storage.ReadMetafileAsync(location, deadline.Token), deadline.Token);
                if (action.Publish)
                    info = info with { End = await PublishAsync(guest, info.Name, location, deadline.Token) };
            }
            finally
            {
                gate.Release();
            }
        }

        return new GuestLogView(info, location, await _storage.ReadMetafileAsync(location, cancellationToken));
    }

    /// <summary>The last <paramref name="lines"/> published lines (all of them for 0), oldest first.</summary>
    public async Task<string> TailAsync(string projectId, string instanceId, string name, int lines, CancellationToken cancellationToken)
    {
        var location = GuestLogLocation.For(projectId, instanceId, name);
        var metafile = await _storage.ReadMetafileAsync(location, cancellationToken);
        if (metafile.Parts.Count == 0)
            throw TroveFault.NotFound($"No published '{name}' log was found for instance {instanceId}.");

        var texts = new List<string>();
        var counted = 0;
        foreach (var part in metafile.Parts.Reverse())
        {
            texts.Insert(0, await _storage.ReadPartAsync(part, cancellationToken));
            counted += part.Lines;
            if (lines > 0 && counted >= lines)
                break;
        }

        var all = string.Concat(texts);
        return lines > 0 ? LastLines(all, lines) : all;
    }

    internal static string LastLines(string text, int lines)
    {
        var split = text.TrimEnd('\n').Split('\n');
        return split.Length <= lines ? text : string.Join('\n', split[^lines..]) + "\n";
    }

    private async Task<GuestLogView> ViewAsync(InstanceRecord instance, GuestLogInfo info, CancellationToken cancellationToken)
    {
        var location = GuestLogLocation.For(instance.ProjectId, instance.Id, info.Name);
        return new GuestLogView(info, location, await _storage.ReadMetafileAsync(location, cancellationToken));
    }

    /// <summary>Reads from the last position until the guest's end (or <see cref="MaxPublishBytes"/>), stores it as one part; answers the end.</summary>
    private async Task<long> PublishAsync(GuestClient guest, string name, GuestLogLocation location, CancellationToken cancellationToken)
    {
        var metafile = await _storage.ReadMetafileAsync(location, cancellationToken);
        var text = new StringBuilder();
        var lines = 0;
        var position = metafile.Position;
        long end;
        while (true)
        {
            var chunk = await guest.ReadGuestLogAsync(new ReadGuestLogRequest(name, position, MaxPublishBytes - text.Length), cancellationToken);
            text.Append(chunk.Content);
            lines += chunk.Lines;
            end = chunk.End;
            var moved = chunk.Next != position;
            position = chunk.Next;
            if (!moved || position >= end || text.Length >= MaxPublishBytes)
                break;
        }

        if (position == metafile.Position && text.Length == 0)
            return end;

        var parts = metafile.Parts;
        if (text.Length > 0)
        {
            var part = new GuestLogPart(location.PartName(NextSequence(parts)), Encoding.UTF8.GetByteCount(text.ToString()), lines, time.GetUtcNow());
            await _storage.WritePartAsync(part, text.ToString(), cancellationToken);
            parts = [.. parts, part];
        }

        await _storage.WriteMetafileAsync(location, new GuestLogMetafile(position, parts), cancellationToken);
        return end;
    }

    private static int NextSequence(IReadOnlyList<GuestLogPart> parts) => parts.Count == 0
        ? 1
        : int.Parse(parts[^1].Name[(parts[^1].Name.LastIndexOf('-') + 1)..], System.Globalization.CultureInfo.InvariantCulture) + 1;
}

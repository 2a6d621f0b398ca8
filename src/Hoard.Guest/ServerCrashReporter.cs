using System.Globalization;
using Hoard.Contracts.Conductor;
using Hoard.Guest.Datastores;

namespace Hoard.Guest;

/// <summary>
/// Turns the supervisor's crash callbacks into the report heartbeats carry. The first crash starts a run of crashes
/// and sets the report's message; crashes that follow within <see cref="ServerSupervisor.StableUptime"/> of a start
/// belong to the same run (the conductor records a run once, so a crash loop is one fault). Heartbeats carry the
/// report until the server has been healthy for <see cref="ServerSupervisor.StableUptime"/> after its last crash.
/// </summary>
internal sealed class ServerCrashReporter(TimeProvider time)
{
    private readonly Lock _gate = new();
    private ServerCrashReport? _report;
    private DateTimeOffset _lastCrash;
    private DateTimeOffset? _healthySince;

    /// <param name="volume">The volume as measured at the crash: a full one is the likely reason.</param>
    public ServerCrashReport Record(ServerCrash crash, VolumeReport? volume)
    {
        var now = time.GetUtcNow();
        var details = string.Create(CultureInfo.InvariantCulture,
            $"{crash.Name} {crash.HowItEnded} after {crash.Uptime.TotalSeconds:0.#} s; restart {crash.RestartCount} in {crash.RestartDelay.TotalSeconds:0.#} s.");
        if (volume is { Full: true })
            details += string.Create(CultureInfo.InvariantCulture, $" The volume had {volume.AvailableBytes} of {volume.SizeBytes} bytes free.");

        lock (_gate)
        {
            _lastCrash = now;
            _healthySince = null;
            if (_report is null || crash.Uptime >= ServerSupervisor.StableUptime)
            {
                var why = volume is { Full: true } ? ", while the volume was full (writes failed with ENOSPC)" : "";
                _report = new ServerCrashReport(now,
                    $"The database server stopped unexpectedly: it {crash.HowItEnded}{why}; the guest restarts it, with backoff.", details);
            }
            else
            {
                _report = _report with { Details = details };
            }

            return _report;
        }
    }

    /// <summary>The report to send now, or null when there is none or the server has been healthy long enough since.</summary>
    public ServerCrashReport? Current(bool healthy)
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            if (_report is null)
                return null;
            if (!healthy)
            {
                _healthySince = null;
                return _report;
            }

            _healthySince ??= now;
            if (now - _healthySince.Value >= ServerSupervisor.StableUptime && now - _lastCrash >= ServerSupervisor.StableUptime)
            {
                _report = null;
            }

            return _report;
        }
    }
}

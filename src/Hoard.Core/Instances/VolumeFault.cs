using System.Globalization;
using Hoard.Contracts.Conductor;

namespace Hoard.Core.Instances;

/// <summary>
/// The fault a full volume puts on its instance. Unlike other faults it describes a condition, not an event: it is
/// removed when the guest reports room again, so every volume fault starts with <see cref="Prefix"/>.
/// </summary>
public static class VolumeFault
{
    public const string Prefix = "The volume is full";

    private const double Gb = 1024.0 * 1024 * 1024;

    public static bool Is(string message) => message.StartsWith(Prefix, StringComparison.Ordinal);

    public static string Message(VolumeReport volume) => string.Create(CultureInfo.InvariantCulture,
        $"{Prefix} ({(volume.SizeBytes - volume.AvailableBytes) / Gb:0.0} GB of {volume.SizeBytes / Gb:0.0} GB used): writes fail with ENOSPC; delete data or resize the volume.");

    public static string Details(VolumeReport volume) => string.Create(CultureInfo.InvariantCulture,
        $"{volume.AvailableBytes} of {volume.SizeBytes} bytes free on the volume's filesystem.");
}

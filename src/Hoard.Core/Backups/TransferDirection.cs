namespace Hoard.Core.Backups;

public enum TransferDirection
{
    /// <summary>The guest PUTs a new backup's stream.</summary>
    Upload,

    /// <summary>The guest GETs a backup's stream to restore it.</summary>
    Download,
}

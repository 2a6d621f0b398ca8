using Hoard.Core.Backups;
using Hoard.Providers.Local;
using Hoard.Providers.ObjectStorage.S3;
using Hoard.Providers.ObjectStorage.Swift;

namespace Hoard.Server.Hosting;

/// <summary>Chooses the backup storage from the <c>BackupStorage</c> setting: <c>local</c>, <c>swift</c> or <c>s3</c>.</summary>
internal static partial class BackupStorageSelection
{
    public static IBackupStorage Create(HoardOptions options, ILoggerFactory loggers)
    {
        var logger = loggers.CreateLogger(typeof(BackupStorageSelection).FullName!);
        switch (options.BackupStorage.Trim().ToLowerInvariant())
        {
            case LocalBackupStorage.DriverName:
                LogChosen(logger, LocalBackupStorage.DriverName, options.BackupDir);
                return new LocalBackupStorage(options.BackupDir);
            case "swift":
                Check("Hoard:Swift", options.Swift.Validate());
                LogChosen(logger, "swift", $"{options.Swift.AuthUrl}, container {options.Swift.Container}");
                return new SwiftBackupStorage(options.Swift, logger: loggers.CreateLogger<SwiftBackupStorage>());
            case "s3":
                Check("Hoard:S3", options.S3.Validate());
                LogChosen(logger, "s3", $"{options.S3.Endpoint ?? "AWS"}, bucket {options.S3.Bucket}");
                return new S3BackupStorage(options.S3, loggers.CreateLogger<S3BackupStorage>());
            default:
                throw new InvalidOperationException($"BackupStorage '{options.BackupStorage}' is unknown; use local, swift or s3.");
        }
    }

    private static void Check(string section, IReadOnlyList<string> problems)
    {
        if (problems.Count > 0)
        {
            throw new InvalidOperationException($"The backup storage settings ({section}) are incomplete: {string.Join("; ", problems)}");
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Backup storage: {Driver} ({Where})")]
    private static partial void LogChosen(ILogger logger, string driver, string where);
}

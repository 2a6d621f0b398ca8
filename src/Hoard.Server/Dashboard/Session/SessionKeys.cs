using Microsoft.AspNetCore.DataProtection;

namespace Hoard.Server.Dashboard.Session;

/// <summary>
/// The data-protection key ring that encrypts and signs the session cookie, kept under the data directory: sessions
/// survive a restart of hoard-server, and the keys sit with its other secrets rather than in its user's home.
/// </summary>
internal static class SessionKeys
{
    /// <summary>Not the content root (the default): the keys stay valid when hoard-server is installed elsewhere.</summary>
    public const string ApplicationName = "hoard-dashboard";

    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    public static IServiceCollection AddSessionKeys(this IServiceCollection services, string directory)
    {
        services.AddDataProtection().SetApplicationName(ApplicationName).PersistKeysToFileSystem(OwnerOnlyDirectory(directory));
        return services;
    }

    /// <summary>The key files are written with the process's umask; the directory alone keeps other users out.</summary>
    private static DirectoryInfo OwnerOnlyDirectory(string path)
    {
        var directory = Directory.CreateDirectory(path, OwnerOnly);
        File.SetUnixFileMode(path, OwnerOnly);
        return directory;
    }
}

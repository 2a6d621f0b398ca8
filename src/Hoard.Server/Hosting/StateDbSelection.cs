using Hoard.Persistence;
using Microsoft.Extensions.Configuration.CommandLine;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Hoard.Server.Hosting;

/// <summary>
/// Chooses the state DB from the <c>StateDb</c> setting: <c>sqlite</c> (the default: <c>state.db</c> in the data dir) or
/// <c>postgresql</c> (<c>StateDbConnectionString</c>, shared by every hoard-server of a deployment). The password belongs
/// in the environment, appsettings or <c>StateDbPasswordFile</c> (0600), never on the command line: a connection
/// string with a password given there stops the server. Neither the connection string nor the password is ever quoted.
/// </summary>
internal static class StateDbSelection
{
    private const string Sqlite = "sqlite";
    private const string PostgreSql = "postgresql";
    private const string ConnectionStringKey = "Hoard:StateDbConnectionString";

    /// <summary>Registers <see cref="StateDb"/>; checks the settings now, so that a wrong one stops the server before it serves.</summary>
    public static IServiceCollection AddHoardStateDb(this IServiceCollection services, IConfiguration configuration, HoardOptions options)
    {
        RefusePasswordOnCommandLine(configuration);
        Create(options);
        services.AddSingleton(sp => Create(sp.GetRequiredService<IOptions<HoardOptions>>().Value));
        return services;
    }

    /// <exception cref="InvalidOperationException">An unknown kind, or <c>postgresql</c> without a usable connection string or password file.</exception>
    public static StateDb Create(HoardOptions options)
    {
        switch (options.StateDb.Trim().ToLowerInvariant())
        {
            case Sqlite:
                return new StateDb(options.StateDbPath);
            case PostgreSql:
                if (string.IsNullOrWhiteSpace(options.StateDbConnectionString))
                {
                    throw new InvalidOperationException("Hoard:StateDb is postgresql, but Hoard:StateDbConnectionString is not set.");
                }

                try
                {
                    return StateDb.PostgreSql(options.StateDbConnectionString, ReadPasswordFile(options.StateDbPasswordFile));
                }
                catch (ArgumentException e)
                {
                    throw new InvalidOperationException($"Hoard:StateDbConnectionString: {e.Message}", e);
                }

            default:
                throw new InvalidOperationException($"StateDb '{options.StateDb}' is unknown; use {Sqlite} or {PostgreSql}.");
        }
    }

    /// <summary>The password in <paramref name="path"/> (its first line), or null without a file; the file must be private to its owner.</summary>
    internal static string? ReadPasswordFile(string? path)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            return null;
        }

        if (!File.Exists(path))
        {
            throw new InvalidOperationException($"Hoard:StateDbPasswordFile {path} does not exist.");
        }

        if ((File.GetUnixFileMode(path) & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
                                           UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute)) != 0)
        {
            throw new InvalidOperationException($"Hoard:StateDbPasswordFile {path} is readable by others; chmod 600 it.");
        }

        var password = File.ReadLines(path).FirstOrDefault();
        return string.IsNullOrEmpty(password)
            ? throw new InvalidOperationException($"Hoard:StateDbPasswordFile {path} is empty.")
            : password;
    }

    /// <summary>A command line is visible to every user of the host (ps, /proc): a password there is refused.</summary>
    private static void RefusePasswordOnCommandLine(IConfiguration configuration)
    {
        if (configuration is not IConfigurationRoot root)
        {
            return;
        }

        foreach (var provider in root.Providers.OfType<CommandLineConfigurationProvider>())
        {
            if (provider.TryGet(ConnectionStringKey, out var value) && HasPassword(value))
            {
                throw new InvalidOperationException(
                    $"{ConnectionStringKey} on the command line carries a password, which every user of the host can read there; " +
                    "set it in the environment (Hoard__StateDbConnectionString), appsettings, or Hoard:StateDbPasswordFile.");
            }
        }
    }

    private static bool HasPassword(string? connectionString)
    {
        try
        {
            return !string.IsNullOrEmpty(new NpgsqlConnectionStringBuilder(connectionString).Password);
        }
        catch (ArgumentException)
        {
            // Unparseable: it may hold anything, so it is refused as if it held a password.
            return true;
        }
    }
}

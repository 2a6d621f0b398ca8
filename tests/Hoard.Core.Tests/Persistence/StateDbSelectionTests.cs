using Hoard.Persistence;
using Hoard.Server.Hosting;
using Hoard.Tests.Shared;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Hoard.Core.Tests.Persistence;

/// <summary>
/// hoard-server's choice of state DB (Hoard:StateDb) and where the PostgreSQL password may come from; the password is
/// never quoted back. Connects to the private PostgreSQL with it.
/// </summary>
[Collection(PostgreSqlStateCollection.Name)]
public sealed class StateDbSelectionTests(PostgreSqlStateServer server) : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("hoard-statedb-");

    public static string? SkipReason => PostgreSqlStateServer.SkipReason;

    [StateDbFact]
    public void Sqlite_IsTheDefault_InTheDataDir()
    {
        var db = StateDbSelection.Create(new HoardOptions { DataDir = _dir.FullName });

        Assert.Equal((StateDbKind.Sqlite, Path.Combine(_dir.FullName, "state.db")), (db.Kind, db.Path));
    }

    [StateDbTheory]
    [InlineData("mysql", null, "StateDb 'mysql' is unknown")]
    [InlineData("postgresql", null, "StateDbConnectionString is not set")]
    [InlineData("postgresql", "Port=5432;Password=Sekrit-1", "names no Host")]
    [InlineData("postgresql", "Host=127.0.0.1;Bogus Key=1;Password=Sekrit-1", "cannot be parsed")]
    public void AWrongSetting_StopsTheServer_WithoutQuotingTheConnectionString(string kind, string? connectionString, string message)
    {
        var e = Assert.Throws<InvalidOperationException>(() =>
            StateDbSelection.Create(new HoardOptions { StateDb = kind, StateDbConnectionString = connectionString }));

        Assert.Contains(message, e.Message);
        Assert.DoesNotContain("Sekrit", e.ToString());
    }

    [StateDbFact]
    public void APasswordOnTheCommandLine_IsRefused_WithoutQuotingIt()
    {
        var configuration = new ConfigurationBuilder()
            .AddCommandLine(["--Hoard:StateDb=postgresql", "--Hoard:StateDbConnectionString=Host=127.0.0.1;Username=hoard;Password=Sekrit-1"])
            .Build();
        var options = configuration.GetSection("Hoard").Get<HoardOptions>()!;

        var e = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddHoardStateDb(configuration, options));

        Assert.Contains("command line", e.Message);
        Assert.DoesNotContain("Sekrit", e.ToString());
        var withoutPassword = new ConfigurationBuilder()
            .AddCommandLine(["--Hoard:StateDb=postgresql", "--Hoard:StateDbConnectionString=Host=127.0.0.1;Username=hoard"]).Build();
        new ServiceCollection().AddHoardStateDb(withoutPassword, withoutPassword.GetSection("Hoard").Get<HoardOptions>()!);
    }

    [StateDbFact]
    public async Task ThePasswordFile_MustBePrivate_AndIsWhatLogsIn()
    {
        var database = await server.CreateDatabaseAsync();
        try
        {
            var file = Path.Combine(_dir.FullName, "pgpass");
            await File.WriteAllTextAsync(file, server.Password + "\n");
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
            var options = new HoardOptions
            {
                StateDb = "postgresql", StateDbPasswordFile = file,
                StateDbConnectionString = $"Host=127.0.0.1;Port={server.Port};Database={database};Username={PostgreSqlStateServer.User};Password=wrong",
            };

            var refused = Assert.Throws<InvalidOperationException>(() => StateDbSelection.Create(options));
            Assert.Contains("readable by others", refused.Message);

            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            var db = StateDbSelection.Create(options);
            await db.MigrateAsync(CancellationToken.None);
            Assert.Equal(StateDbKind.PostgreSql, db.Kind);
            Assert.Equal($"postgresql host=127.0.0.1 port={server.Port} database={database} user=postgres", db.Description);

            options.StateDbPasswordFile = null;
            var wrong = await Assert.ThrowsAnyAsync<Exception>(() => StateDbSelection.Create(options).OpenAsync(CancellationToken.None));
            Assert.DoesNotContain("wrong", wrong.ToString());
            Assert.DoesNotContain(server.Password, wrong.ToString());
        }
        finally
        {
            await server.DropDatabaseAsync(database);
        }
    }

    public void Dispose() => _dir.Delete(recursive: true);
}

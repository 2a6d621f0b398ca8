using Hoard.Persistence;

namespace Hoard.Core.Tests.Persistence;

/// <summary>A migrated state database in a temporary file, removed with its WAL files when disposed.</summary>
internal sealed class TempStateDb : IAsyncDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"hoard-test-{Guid.NewGuid():N}.db");

    private TempStateDb() => Db = new StateDb(_path);

    public StateDb Db { get; }

    public static async Task<TempStateDb> CreateAsync()
    {
        var temp = new TempStateDb();
        await temp.Db.MigrateAsync(CancellationToken.None);
        return temp;
    }

    public ValueTask DisposeAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var file in new[] { _path, _path + "-wal", _path + "-shm" })
            File.Delete(file);
        return ValueTask.CompletedTask;
    }
}

using Hoard.Guest.Datastores.MariaDb;

namespace Hoard.Guest.Tests.Datastores.MariaDb;

/// <summary>
/// One instance of a replication test and the manager of its current guest process, with what the tests do to it: the
/// customer (<see cref="MariaDbFixture.User"/>) writes and counts rows of <c>shop.items</c>, the guest's administrator reads.
/// </summary>
internal sealed class MariaDbReplicationMember : IAsyncDisposable
{
    private MariaDbReplicationMember(MariaDbInstance instance)
    {
        Instance = instance;
        Manager = instance.CreateManager();
    }

    public MariaDbInstance Instance { get; }

    public MariaDbManager Manager { get; private set; }

    public static MariaDbReplicationMember Create() => new(MariaDbInstance.Create());

    /// <summary>The guest process goes away (stopping its server) and a new one starts the prepared server again.</summary>
    public async Task RestartGuestAsync()
    {
        await Manager.DisposeAsync();
        Manager = Instance.CreateManager();
        await Manager.StartAsync(CancellationToken.None);
    }

    public void Insert(int from, int to)
    {
        using var connection = Customer();
        connection.Execute($"INSERT INTO items SELECT seq, 'row' FROM seq_{from}_to_{to}");
    }

    public int Count()
    {
        using var connection = Customer();
        return int.Parse(connection.Query("SELECT COUNT(*) FROM items")[0][0]!);
    }

    public Task UntilCountAsync(int count) =>
        Poll.UntilAsync(() => Count() == count, $"The instance on port {Instance.Config.Port} never held {count} rows");

    public Task UntilCaughtUpAsync(long position) =>
        Poll.UntilAsync(async () => (await Manager.GetReplicationStatusAsync(CancellationToken.None))?.Position >= position,
            $"The instance on port {Instance.Config.Port} never reached position {position}");

    /// <summary>The customer's connection; <paramref name="timeout"/> bounds connecting and each read (a commit waiting for a replica).</summary>
    public MariaDbConnection Customer(TimeSpan? timeout = null) =>
        MariaDbConnection.OpenTcp(Instance.Config.Address, Instance.Config.Port, MariaDbFixture.User, MariaDbFixture.Password,
            timeout ?? TimeSpan.FromSeconds(10), MariaDbFixture.Database);

    /// <summary>An insert on a connection of its own, on a thread of its own: it may wait for a long time.</summary>
    public Task InsertInBackground(int id) => Task.Run(() =>
    {
        using var connection = Customer(TimeSpan.FromMinutes(2));
        connection.Execute($"INSERT INTO items VALUES ({id}, 'in the background')");
    });

    public List<Dictionary<string, string?>> AsAdmin(string sql)
    {
        using var connection = Manager.Server.OpenAdmin(TimeSpan.FromSeconds(10));
        return connection.QueryNamed(sql);
    }

    public string? ScalarAsAdmin(string sql)
    {
        using var connection = Manager.Server.OpenAdmin(TimeSpan.FromSeconds(10));
        return connection.Query(sql)[0][0];
    }

    /// <summary>A global status variable of the server.</summary>
    public string? Status(string variable) =>
        AsAdmin($"SHOW GLOBAL STATUS LIKE '{variable}'").Select(row => row["Value"]).SingleOrDefault();

    public async ValueTask DisposeAsync()
    {
        await Manager.DisposeAsync();
        Instance.Dispose();
    }
}

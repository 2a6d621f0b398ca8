using Hoard.Persistence;

namespace Hoard.Core.Tests.Persistence;

/// <summary>
/// A store test class that runs on every kind of state DB: a subclass per kind says where its fresh database comes
/// from (and, for PostgreSQL, why it is skipped when it cannot run). Each test gets a new, migrated database.
/// </summary>
public abstract class StateDbTests(Func<Task<TestStateDb>> create) : IAsyncLifetime
{
    private TestStateDb? _temp;

    protected StateDb Db => _temp?.Db ?? throw new InvalidOperationException("The state DB is not created yet.");

    public async Task InitializeAsync()
    {
        _temp = await create();
        await InitializeStoresAsync();
    }

    public async Task DisposeAsync()
    {
        await DisposeStoresAsync();
        if (_temp is not null)
        {
            await _temp.DisposeAsync();
        }
    }

    /// <summary>Makes the stores under test and seeds what every test needs.</summary>
    protected virtual Task InitializeStoresAsync() => Task.CompletedTask;

    /// <summary>Releases what <see cref="InitializeStoresAsync"/> made, before the database goes.</summary>
    protected virtual Task DisposeStoresAsync() => Task.CompletedTask;
}

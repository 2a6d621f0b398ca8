namespace Hoard.Persistence;

/// <summary>
/// Declared first in a store method that changes tokens, roles, users, projects or application credentials
/// (<c>using var _ = db.IdentityChange();</c>): disposed last, after the method's transaction has committed (or failed),
/// it moves <see cref="StateDb.IdentityChanges"/>, so that no cached validation read before the change outlives it.
/// </summary>
internal readonly struct IdentityChangeScope(StateDb db) : IDisposable
{
    public void Dispose() => db.NoteIdentityChange();
}

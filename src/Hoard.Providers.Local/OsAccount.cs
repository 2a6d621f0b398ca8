namespace Hoard.Providers.Local;

/// <summary>
/// The OS account guests run as. When the server runs as root, guests and database servers run as the
/// unprivileged <see cref="LocalOptions.OsUser"/>; otherwise as the server's own user.
/// </summary>
public sealed class OsAccount
{
    private readonly (uint Uid, uint Gid)? _ids;

    public OsAccount(LocalOptions options)
    {
        if (!Posix.IsRoot)
        {
            return;
        }

        _ids = Posix.LookupUser(options.OsUser) ?? throw new InvalidOperationException(
            $"OS user '{options.OsUser}' does not exist; create it with: useradd --system --create-home --shell /usr/sbin/nologin {options.OsUser}");
        UserName = options.OsUser;
    }

    /// <summary>The user to start guests as, or null to start them as the server's own user.</summary>
    public string? UserName { get; }

    /// <summary>uid and gid of <see cref="UserName"/>, or null when guests run as the server's own user.</summary>
    internal (uint Uid, uint Gid)? Ids => _ids;

    /// <summary>Gives <paramref name="path"/> itself (not what it contains) to the account.</summary>
    public void OwnTop(string path)
    {
        if (_ids is { } ids)
        {
            Posix.Chown(path, ids.Uid, ids.Gid);
        }
    }

    public void Own(string path)
    {
        if (_ids is { } ids)
        {
            Posix.ChownRecursive(path, ids.Uid, ids.Gid);
        }
    }
}

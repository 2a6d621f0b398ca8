namespace Hoard.Server.Identity;

/// <summary>
/// The external Keystone of <c>Hoard:Identity:Mode=keystone</c> (section <c>Hoard:Keystone</c>): where it is, and the
/// service user hoard-server validates tokens as. The password belongs in the environment
/// (<c>Hoard__Keystone__ServicePassword</c>) or appsettings, never on the command line; it is never logged.
/// </summary>
public sealed class KeystoneSettings
{
    /// <summary>Keystone's base URL, with or without <c>/v3</c> (e.g. <c>http://keystone:5000/v3</c>).</summary>
    public string? Url { get; set; }

    public string ServiceUserName { get; set; } = "trove";

    public string ServiceUserDomainName { get; set; } = "Default";

    public string? ServicePassword { get; set; }

    public string ServiceProjectName { get; set; } = "service";

    public string ServiceProjectDomainName { get; set; } = "Default";

    /// <summary>How long a valid token is believed without asking Keystone again: a revoked token works at most this long.</summary>
    public double CacheSeconds { get; set; } = 60;

    /// <summary>Deadline of each request to Keystone.</summary>
    public double TimeoutSeconds { get; set; } = 10;

    /// <summary><see cref="Url"/> without a trailing <c>/v3</c> or slash.</summary>
    public string BaseUrl
    {
        get
        {
            var url = (Url ?? "").TrimEnd('/');
            return url.EndsWith("/v3", StringComparison.Ordinal) ? url[..^3] : url;
        }
    }
}

namespace Hoard.Providers.ObjectStorage.Swift;

/// <summary>Settings of <see cref="SwiftBackupStorage"/>.</summary>
public sealed class SwiftOptions
{
    public const string DefaultContainer = "database_backups";
    public const long DefaultSegmentSizeBytes = 1L << 30;
    public const long MinSegmentSizeBytes = 1L << 20;

    /// <summary>Swift's default max_file_size: no single object (so no segment) may be larger.</summary>
    public const long MaxSegmentSizeBytes = 5L << 30;

    /// <summary>
    /// The identity endpoint. Ending in <c>/auth/v1.0</c>: Swift's tempauth (or any v1 auth), with <see cref="Username"/>
    /// <c>account:user</c>. Ending in <c>/v3</c>: Keystone password authentication scoped to <see cref="ProjectName"/>
    /// (or <see cref="ProjectId"/>), using the catalog's <c>object-store</c> endpoint.
    /// </summary>
    public string AuthUrl { get; set; } = "";

    public string Username { get; set; } = "";

    /// <summary>The tempauth key or the Keystone password.</summary>
    public string Key { get; set; } = "";

    /// <summary>Keystone only: the project the token is scoped to (this or <see cref="ProjectId"/>).</summary>
    public string? ProjectName { get; set; }

    public string? ProjectId { get; set; }

    public string UserDomainName { get; set; } = "Default";

    public string ProjectDomainName { get; set; } = "Default";

    /// <summary>Keystone only: the catalog endpoint's region; any region when unset.</summary>
    public string? Region { get; set; }

    /// <summary>Keystone only: the catalog endpoint's interface.</summary>
    public string Interface { get; set; } = "public";

    /// <summary>Where backups are stored (Trove's default); created on the first put.</summary>
    public string Container { get; set; } = DefaultContainer;

    /// <summary>Where the segments of backups are stored; <c>&lt;Container&gt;_segments</c> when unset.</summary>
    public string? SegmentContainer { get; set; }

    /// <summary>Backups are stored as static large objects of segments of this size (the last one smaller).</summary>
    public long SegmentSizeBytes { get; set; } = DefaultSegmentSizeBytes;

    /// <summary>The cluster's <c>max_manifest_segments</c> (Swift's default 1000): a backup larger than this many segments fails.</summary>
    public int MaxManifestSegments { get; set; } = 1000;

    /// <summary>Limit of requests that carry no backup data (authentication, HEAD, manifests, deletes).</summary>
    public double RequestTimeoutSeconds { get; set; } = 120;

    public string SegmentContainerName => string.IsNullOrEmpty(SegmentContainer) ? Container + "_segments" : SegmentContainer;

    internal bool IsKeystone => TrimmedAuthUrl.EndsWith("/v3", StringComparison.Ordinal);

    internal bool IsTempAuth => TrimmedAuthUrl.EndsWith("/v1.0", StringComparison.Ordinal);

    internal string TrimmedAuthUrl => AuthUrl.TrimEnd('/');

    /// <summary>These settings with objects in <paramref name="container"/> and segments in its <c>_segments</c>.</summary>
    internal SwiftOptions WithContainer(string container)
    {
        var copy = (SwiftOptions)MemberwiseClone();
        copy.Container = container;
        copy.SegmentContainer = null;
        return copy;
    }

    /// <summary>What is wrong with these settings; empty when they can be used.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!Uri.TryCreate(AuthUrl, UriKind.Absolute, out var auth) || (auth.Scheme != Uri.UriSchemeHttp && auth.Scheme != Uri.UriSchemeHttps))
        {
            errors.Add("AuthUrl must be an absolute http(s) URL.");
        }
        else if (!IsKeystone && !IsTempAuth)
        {
            errors.Add("AuthUrl must end in /auth/v1.0 (tempauth) or /v3 (Keystone).");
        }

        if (string.IsNullOrWhiteSpace(Username))
        {
            errors.Add("Username is required.");
        }

        if (string.IsNullOrEmpty(Key))
        {
            errors.Add("Key is required.");
        }

        if (IsKeystone && string.IsNullOrWhiteSpace(ProjectName) && string.IsNullOrWhiteSpace(ProjectId))
        {
            errors.Add("Keystone authentication needs ProjectName or ProjectId.");
        }

        foreach (var (name, value) in new[] { ("Container", Container), ("SegmentContainer", SegmentContainerName) })
        {
            if (string.IsNullOrWhiteSpace(value) || value.Contains('/') || value.Length > 256)
            {
                errors.Add($"{name} must be a non-empty Swift container name without '/'.");
            }
        }

        if (SegmentContainerName == Container)
        {
            errors.Add("SegmentContainer must differ from Container.");
        }

        if (SegmentSizeBytes is < MinSegmentSizeBytes or > MaxSegmentSizeBytes)
        {
            errors.Add($"SegmentSizeBytes must be between {MinSegmentSizeBytes} (1 MiB) and {MaxSegmentSizeBytes} (5 GiB).");
        }

        if (MaxManifestSegments < 1)
        {
            errors.Add("MaxManifestSegments must be positive.");
        }

        if (RequestTimeoutSeconds <= 0)
        {
            errors.Add("RequestTimeoutSeconds must be positive.");
        }

        return errors;
    }
}

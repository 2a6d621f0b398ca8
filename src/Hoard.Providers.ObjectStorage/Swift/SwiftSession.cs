namespace Hoard.Providers.ObjectStorage.Swift;

/// <summary>A token and the storage URL (account) it is good for.</summary>
internal sealed record SwiftSession(string Token, string StorageUrl, DateTimeOffset? ExpiresAt)
{
    /// <summary>The URL of a container, or of an object in it; container names are escaped, keys are already URL-safe.</summary>
    public Uri Url(string container, string? name = null, string? query = null) =>
        new($"{StorageUrl.TrimEnd('/')}/{Uri.EscapeDataString(container)}{(name is null ? "" : "/" + name)}{(query is null ? "" : "?" + query)}");
}

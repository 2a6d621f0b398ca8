using System.Text.Json.Serialization;

namespace Hoard.Providers.ObjectStorage.Swift;

internal sealed record KeystoneAuthRequest(KeystoneAuth Auth);

internal sealed record KeystoneAuth(KeystoneIdentity Identity, KeystoneScope Scope);

internal sealed record KeystoneIdentity(string[] Methods, KeystonePassword Password);

internal sealed record KeystonePassword(KeystoneUser User);

internal sealed record KeystoneUser(string Name, string Password, KeystoneDomain Domain);

internal sealed record KeystoneDomain(string Name);

internal sealed record KeystoneScope(KeystoneProject Project);

internal sealed record KeystoneProject(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Id,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Name,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] KeystoneDomain? Domain);

internal sealed record KeystoneTokenResponse(KeystoneToken? Token);

internal sealed record KeystoneToken(DateTimeOffset? ExpiresAt, KeystoneService[]? Catalog);

internal sealed record KeystoneService(string? Type, KeystoneEndpoint[]? Endpoints);

internal sealed record KeystoneEndpoint(string? Interface, string? Region, string? RegionId, string? Url);

/// <summary>One entry of a static large object's manifest.</summary>
internal sealed record SloSegment(string Path, string Etag, long SizeBytes);

/// <summary>The answer to <c>DELETE ?multipart-manifest=delete</c> (Swift's bulk-delete report).</summary>
internal sealed record SloDeleteResult(
    [property: JsonPropertyName("Response Status")] string? ResponseStatus,
    [property: JsonPropertyName("Number Not Found")] int NumberNotFound,
    [property: JsonPropertyName("Errors")] string[][]? Errors);

internal sealed record SwiftListedObject(string Name, long Bytes);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(KeystoneAuthRequest))]
[JsonSerializable(typeof(KeystoneTokenResponse))]
[JsonSerializable(typeof(List<SloSegment>))]
[JsonSerializable(typeof(SloDeleteResult))]
[JsonSerializable(typeof(SwiftListedObject[]))]
internal sealed partial class SwiftJson : JsonSerializerContext;

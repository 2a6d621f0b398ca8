using System.Text.Json.Nodes;

namespace Hoard.Core.Configurations;

/// <summary>
/// A named set of configuration values for one datastore version (Trove's configuration group). The values are
/// kept as the user sent them, once validated against the version's parameter schema.
/// </summary>
public sealed record ConfigurationGroup(
    string Id,
    string ProjectId,
    string Name,
    string? Description,
    string DatastoreVersionId,
    JsonObject Values,
    DateTimeOffset Created,
    DateTimeOffset Updated);

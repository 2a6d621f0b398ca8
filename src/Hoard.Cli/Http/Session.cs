namespace Hoard.Cli.Http;

/// <summary>A Keystone token and what came with it: who, which project, and where that project's database service is.</summary>
internal sealed record Session(
    string AuthUrl, string Token, DateTimeOffset ExpiresAt, string UserName, string ProjectId, string ProjectName, string DatabaseUrl,
    IReadOnlyList<string> Roles);

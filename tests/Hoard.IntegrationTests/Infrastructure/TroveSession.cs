namespace Hoard.IntegrationTests.Infrastructure;

/// <summary>A logged-in user: the token and the project it is scoped to.</summary>
public sealed record TroveSession(string Token, string ProjectId, string UserName);

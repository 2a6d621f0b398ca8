namespace Hoard.Persistence;

/// <summary>One role of one user on one project, with both names.</summary>
public sealed record RoleAssignment(string UserId, string UserName, string ProjectId, string ProjectName, string Role);

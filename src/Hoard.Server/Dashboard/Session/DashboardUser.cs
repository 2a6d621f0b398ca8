using System.Security.Claims;

namespace Hoard.Server.Dashboard.Session;

/// <summary>Who is signed in, from the session cookie's claims. The token is for calling the API and is never rendered.</summary>
public sealed record DashboardUser(string UserId, string UserName, string ProjectId, string ProjectName, bool IsAdmin, string Token)
{
    public const string AdminRole = "admin";
    private const string TokenClaim = "hoard:token";
    private const string ProjectIdClaim = "hoard:project_id";
    private const string ProjectNameClaim = "hoard:project_name";

    public static DashboardUser? From(ClaimsPrincipal principal) =>
        principal.FindFirst(TokenClaim)?.Value is { } token
            ? new DashboardUser(
                principal.FindFirstValue(ClaimTypes.NameIdentifier) ?? "", principal.FindFirstValue(ClaimTypes.Name) ?? "",
                principal.FindFirstValue(ProjectIdClaim) ?? "", principal.FindFirstValue(ProjectNameClaim) ?? "",
                principal.IsInRole(AdminRole), token)
            : null;

    public ClaimsPrincipal ToPrincipal(IEnumerable<string> roles, string authenticationType)
    {
        var claims = new List<Claim>
        {
            new(ClaimTypes.NameIdentifier, UserId), new(ClaimTypes.Name, UserName), new(ProjectIdClaim, ProjectId),
            new(ProjectNameClaim, ProjectName), new(TokenClaim, Token),
        };
        claims.AddRange(roles.Select(r => new Claim(ClaimTypes.Role, r)));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, authenticationType));
    }
}

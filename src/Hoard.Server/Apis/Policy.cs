using Hoard.Core.Identity;
using Hoard.Server.Identity;
using Hoard.Server.Trove;

namespace Hoard.Server.Apis;

/// <summary>Who may change things: members and admins of the project; readers only read.</summary>
internal static class Policy
{
    public static void RequireWriter(HttpContext http)
    {
        var roles = http.Token().Roles;
        if (!roles.Contains(RoleNames.Admin) && !roles.Contains(RoleNames.Member))
        {
            throw TroveFault.Forbidden("Policy doesn't allow this action to be performed: a member or admin role is required.");
        }
    }
}

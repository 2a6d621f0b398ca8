namespace Hoard.Server.Hosting;

/// <summary>Checks at start that the chosen roles can work with the chosen bus.</summary>
internal static class RoleSelection
{
    /// <exception cref="InvalidOperationException">An unknown role, or a subset of roles on the embedded bus.</exception>
    public static HoardRoles Validate(HoardOptions options)
    {
        var roles = HoardRoles.Parse(options.Roles);
        var embedded = BusSelection.BrokerUrl(options) is null;
        // The embedded bus lives inside one process (guests join its Unix socket): no other process can reach it.
        if (!roles.IsAll && embedded)
        {
            throw new InvalidOperationException(
                $"Roles '{roles}' run in separate processes, which the embedded bus cannot join; set Hoard:Bus=rabbitmq " +
                "(and Hoard:RabbitMq:Url) in every process, or run all three roles in one.");
        }

        return roles with { SoleProcess = embedded };
    }
}

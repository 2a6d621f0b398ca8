using Hoard.Server.Hosting;

namespace Hoard.Server.Identity;

/// <summary>Chooses who validates tokens: the built-in identity, or an external Keystone (<c>Hoard:Identity:Mode=keystone</c>).</summary>
internal static class IdentitySelection
{
    public static IServiceCollection AddHoardIdentity(this IServiceCollection services, HoardOptions options)
    {
        services.AddSingleton<TokenService>();
        if (!options.Identity.IsKeystone)
        {
            if (!string.Equals(options.Identity.Mode, IdentitySettings.BuiltIn, StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException($"Hoard:Identity:Mode is '{options.Identity.Mode}'; expected 'builtin' or 'keystone'.");
            }

            services.AddSingleton<ITokenValidator>(sp => sp.GetRequiredService<TokenService>());
            return services;
        }

        var keystone = options.Keystone;
        if (!Uri.TryCreate(keystone.BaseUrl, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            throw new InvalidOperationException("Hoard:Identity:Mode is 'keystone' but Hoard:Keystone:Url is not an http(s) URL.");
        }

        if (string.IsNullOrEmpty(keystone.ServicePassword))
        {
            throw new InvalidOperationException(
                "Hoard:Identity:Mode is 'keystone' but Hoard:Keystone:ServicePassword is not set (set it in the environment as " +
                "Hoard__Keystone__ServicePassword, or in appsettings).");
        }

        services.AddSingleton<KeystoneTokenValidator>();
        services.AddSingleton<ITokenValidator>(sp => sp.GetRequiredService<KeystoneTokenValidator>());
        services.AddHostedService<KeystoneStartupCheck>();
        return services;
    }
}

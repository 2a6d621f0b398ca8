using System.CommandLine;
using Hoard.Cli.Http;

namespace Hoard.Cli.Commands.Login;

/// <summary>
/// <c>hoard login</c>: a Keystone log-in, by password or by application credential (<c>--application-credential-id</c>,
/// the secret from <c>OS_APPLICATION_CREDENTIAL_SECRET</c>, standard input or a prompt), whose token is kept for later commands.
/// </summary>
internal static class LoginCommand
{
    public static Command Create(CliServices services)
    {
        var environment = services.Environment;
        var authUrl = Defaulted("--auth-url", "OS_AUTH_URL", "The identity service, e.g. http://127.0.0.1:8779/v3.", environment);
        var user = Defaulted("--username", "OS_USERNAME", "Who logs in.", environment);
        var project = Defaulted("--project", "OS_PROJECT_NAME", "The project to work in.", environment);
        var userDomain = Defaulted("--user-domain", "OS_USER_DOMAIN_NAME", "The user's domain.", environment, Credentials.DefaultDomain);
        var projectDomain = Defaulted("--project-domain", "OS_PROJECT_DOMAIN_NAME", "The project's domain.", environment, Credentials.DefaultDomain);
        var passwordStdin = new Option<bool>("--password-stdin")
        {
            Description = "Read the password (or the application credential's secret) from standard input (else OS_PASSWORD or " +
                          "OS_APPLICATION_CREDENTIAL_SECRET, else a prompt).",
        };
        var credentialId = new Option<string>("--application-credential-id")
        {
            Description = "Log in with this application credential instead of a password. Default: $OS_APPLICATION_CREDENTIAL_ID when " +
                          "OS_AUTH_TYPE is v3applicationcredential.",
            DefaultValueFactory = _ => environment.Variable("OS_AUTH_TYPE") == Credentials.ApplicationCredentialAuthType
                ? environment.Variable("OS_APPLICATION_CREDENTIAL_ID") ?? "" : "",
        };
        return new Command("login", "Log in and keep the token (0600) for the commands that follow.")
            .With(authUrl, user, project, userDomain, projectDomain, passwordStdin, credentialId)
            .Runs(services, async context =>
            {
                if (context.Get(credentialId) is { Length: > 0 } id)
                {
                    var secret = environment.Variable("OS_APPLICATION_CREDENTIAL_SECRET") is { Length: > 0 } given && !context.Get(passwordStdin)
                        ? given
                        : context.ReadSecret(passwordStdin, "Secret: ", required: true)!;
                    var byCredential = await services.Keystone.LoginAsync(Credentials.ForApplicationCredential(Required(context, authUrl), id, secret),
                        context.Cancellation);
                    services.Sessions.Save(byCredential);
                    context.Output.Show(WhoamiCommand.View(byCredential, services.Sessions.Path));
                    return;
                }

                var password = environment.Variable("OS_PASSWORD") is { Length: > 0 } fromEnvironment && !context.Get(passwordStdin)
                    ? fromEnvironment
                    : context.ReadSecret(passwordStdin, "Password: ", required: true)!;
                var credentials = new Credentials(Required(context, authUrl), Required(context, user), password, Required(context, project),
                    context.Get(userDomain)!, context.Get(projectDomain)!);
                var session = await services.Keystone.LoginAsync(credentials, context.Cancellation);
                services.Sessions.Save(session);
                context.Output.Show(WhoamiCommand.View(session, services.Sessions.Path));
            });
    }

    private static Option<string> Defaulted(string name, string variable, string description, CliEnvironment environment, string? fallback = null) =>
        new(name)
        {
            Description = $"{description} Default: ${variable}.",
            DefaultValueFactory = _ => environment.Variable(variable) is { Length: > 0 } value ? value : fallback!,
        };

    private static string Required(CommandContext context, Option<string> option) =>
        context.Get(option) is { Length: > 0 } value ? value : throw CliException.Usage($"{option.Name} is required (or its OS_* variable).");
}

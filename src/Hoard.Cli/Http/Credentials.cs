namespace Hoard.Cli.Http;

/// <summary>
/// A log-in as OpenStack clients take it: the <c>OS_*</c> variables, or <c>hoard login</c>'s options. With
/// <see cref="ApplicationCredentialId"/> set it is an application credential's (<see cref="Password"/> is its secret, and
/// the token is scoped to the credential's project), else a user's password.
/// </summary>
internal sealed record Credentials(string AuthUrl, string UserName, string Password, string ProjectName, string UserDomain, string ProjectDomain)
{
    public const string DefaultDomain = "Default";
    public const string ApplicationCredentialAuthType = "v3applicationcredential";

    public string? ApplicationCredentialId { get; init; }

    /// <summary>An application credential's log-in: by its id and secret, as <c>--os-auth-type v3applicationcredential</c>.</summary>
    public static Credentials ForApplicationCredential(string authUrl, string id, string secret) =>
        new(authUrl, "", secret, "", DefaultDomain, DefaultDomain) { ApplicationCredentialId = id };

    /// <summary>Who logs in, for messages.</summary>
    public string Who => ApplicationCredentialId is { } id ? $"application credential {id}" : $"{UserName} to project {ProjectName}";

    /// <summary>The credentials the environment gives whole (URL, user, password, project), or null.</summary>
    public static Credentials? FromEnvironment(CliEnvironment environment)
    {
        var url = environment.Variable("OS_AUTH_URL");
        if (environment.Variable("OS_AUTH_TYPE") == ApplicationCredentialAuthType)
        {
            var id = environment.Variable("OS_APPLICATION_CREDENTIAL_ID");
            var secret = environment.Variable("OS_APPLICATION_CREDENTIAL_SECRET");
            return string.IsNullOrEmpty(url) || string.IsNullOrEmpty(id) || string.IsNullOrEmpty(secret) ? null : ForApplicationCredential(url, id, secret);
        }

        var user = environment.Variable("OS_USERNAME");
        var password = environment.Variable("OS_PASSWORD");
        var project = environment.Variable("OS_PROJECT_NAME");
        if (string.IsNullOrEmpty(url) || string.IsNullOrEmpty(user) || string.IsNullOrEmpty(password) || string.IsNullOrEmpty(project))
        {
            return null;
        }

        return new Credentials(url, user, password, project,
            environment.Variable("OS_USER_DOMAIN_NAME") is { Length: > 0 } userDomain ? userDomain : DefaultDomain,
            environment.Variable("OS_PROJECT_DOMAIN_NAME") is { Length: > 0 } projectDomain ? projectDomain : DefaultDomain);
    }
}

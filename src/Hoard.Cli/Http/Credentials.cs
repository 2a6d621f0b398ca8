namespace Hoard.Cli.Http;

/// <summary>A password log-in as OpenStack clients take it: the <c>OS_*</c> variables, or <c>hoard login</c>'s options.</summary>
internal sealed record Credentials(string AuthUrl, string UserName, string Password, string ProjectName, string UserDomain, string ProjectDomain)
{
    public const string DefaultDomain = "Default";

    /// <summary>The credentials the environment gives whole (URL, user, password, project), or null.</summary>
    public static Credentials? FromEnvironment(CliEnvironment environment)
    {
        var url = environment.Variable("OS_AUTH_URL");
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

using Hoard.Cli.Http;

namespace Hoard.Cli.Tests.Http;

public sealed class CredentialsTests
{
    private static readonly Dictionary<string, string> Complete = new()
    {
        ["OS_AUTH_URL"] = "http://127.0.0.1:8779/v3", ["OS_USERNAME"] = "admin", ["OS_PASSWORD"] = "pw", ["OS_PROJECT_NAME"] = "demo",
    };

    [Fact]
    public void FromEnvironment_TakesTheOpenStackVariables_WithDefaultDomains()
    {
        using var environment = new TestEnvironment(Complete);
        var credentials = Credentials.FromEnvironment(environment.Environment);
        Assert.Equal(new Credentials("http://127.0.0.1:8779/v3", "admin", "pw", "demo", "Default", "Default"), credentials);
    }

    [Theory]
    [InlineData("OS_AUTH_URL")]
    [InlineData("OS_USERNAME")]
    [InlineData("OS_PASSWORD")]
    [InlineData("OS_PROJECT_NAME")]
    public void FromEnvironment_IsNull_WhenAnyOfTheFourIsMissing(string missing)
    {
        using var environment = new TestEnvironment(Complete.Where(kv => kv.Key != missing).ToDictionary());
        Assert.Null(Credentials.FromEnvironment(environment.Environment));
    }

    [Fact]
    public void FromEnvironment_TakesAnApplicationCredential_WhenTheAuthTypeSaysSo()
    {
        using var environment = new TestEnvironment(new Dictionary<string, string>(Complete)
        {
            ["OS_AUTH_TYPE"] = "v3applicationcredential", ["OS_APPLICATION_CREDENTIAL_ID"] = "ac1", ["OS_APPLICATION_CREDENTIAL_SECRET"] = "s3",
        });
        var credentials = Credentials.FromEnvironment(environment.Environment)!;
        Assert.Equal(("ac1", "s3", "http://127.0.0.1:8779/v3"), (credentials.ApplicationCredentialId, credentials.Password, credentials.AuthUrl));
        Assert.Equal("application credential ac1", credentials.Who);
    }

    [Fact]
    public void FromEnvironment_IsNull_WhenTheApplicationCredentialHasNoSecret()
    {
        using var environment = new TestEnvironment(new Dictionary<string, string>(Complete)
        {
            ["OS_AUTH_TYPE"] = "v3applicationcredential", ["OS_APPLICATION_CREDENTIAL_ID"] = "ac1",
        });
        Assert.Null(Credentials.FromEnvironment(environment.Environment));
    }

    [Theory]
    [InlineData("http://h:8779/v3", "http://h:8779/v3")]
    [InlineData("http://h:8779/v3/", "http://h:8779/v3")]
    [InlineData("http://h:8779", "http://h:8779/v3")]
    public void AuthUrl_IsAcceptedWithOrWithoutV3(string given, string used) => Assert.Equal(used, KeystoneClient.NormalizeAuthUrl(given));

    [Fact]
    public void AuthUrl_ThatIsNotHttp_IsAUsageError() =>
        Assert.Equal(ExitCodes.Usage, Assert.Throws<CliException>(() => KeystoneClient.NormalizeAuthUrl("ftp://h/v3")).ExitCode);
}

using Hoard.Server.Hosting;
using Hoard.Server.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace Hoard.Core.Tests.Server.Identity;

/// <summary>A wrong identity setting stops hoard-server at start-up with a message that names the setting, never a secret.</summary>
public sealed class IdentitySelectionTests
{
    [Fact]
    public void BuiltIn_IsTheDefault_AndValidatesWithTheTokenService()
    {
        var services = new ServiceCollection().AddHoardIdentity(new HoardOptions());

        Assert.Contains(services, d => d.ServiceType == typeof(ITokenValidator));
        Assert.DoesNotContain(services, d => d.ServiceType == typeof(KeystoneTokenValidator));
    }

    [Fact]
    public void KeystoneMode_WithItsSettings_ValidatesAgainstKeystone_AndChecksAtStartUp()
    {
        var services = new ServiceCollection().AddHoardIdentity(Keystone("http://127.0.0.1:5000/v3", "s3cret"));

        Assert.Contains(services, d => d.ServiceType == typeof(KeystoneTokenValidator));
        Assert.Contains(services, d => d.ImplementationType == typeof(KeystoneStartupCheck));
    }

    [Theory]
    [InlineData("ldap", "http://k:5000/v3", "Secret-Value-9", "Hoard:Identity:Mode is 'ldap'")]
    [InlineData("keystone", null, "Secret-Value-9", "Hoard:Keystone:Url is not an http(s) URL")]
    [InlineData("keystone", "ftp://k/v3", "Secret-Value-9", "Hoard:Keystone:Url is not an http(s) URL")]
    [InlineData("keystone", "http://k:5000/v3", null, "Hoard__Keystone__ServicePassword")]
    public void AWrongSetting_IsARefusalThatNamesIt(string mode, string? url, string? password, string expected)
    {
        var options = Keystone(url, password);
        options.Identity.Mode = mode;

        var refused = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddHoardIdentity(options));

        Assert.Contains(expected, refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Secret-Value-9", refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://k:5000/v3", "http://k:5000")]
    [InlineData("http://k:5000/v3/", "http://k:5000")]
    [InlineData("http://k:5000", "http://k:5000")]
    [InlineData("https://k/identity/v3", "https://k/identity")]
    public void TheUrl_IsTakenWithOrWithoutV3(string given, string baseUrl) =>
        Assert.Equal(baseUrl, new KeystoneSettings { Url = given }.BaseUrl);

    private static HoardOptions Keystone(string? url, string? password) => new()
    {
        Identity = new IdentitySettings { Mode = IdentitySettings.Keystone },
        Keystone = new KeystoneSettings { Url = url, ServicePassword = password },
    };
}

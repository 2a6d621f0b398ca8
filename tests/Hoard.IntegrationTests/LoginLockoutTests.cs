using System.Security.Cryptography;
using Hoard.Core.Identity;
using Hoard.IntegrationTests.Infrastructure;
using Hoard.Persistence;

namespace Hoard.IntegrationTests;

/// <summary>Five wrong passwords lock a user name out of password logins, with nothing to tell it from a wrong password.</summary>
[Collection(HoardServerCollection.Name)]
[Trait("Category", "Integration")]
public sealed class LoginLockoutTests(HoardServerFixture server)
{
    private const string Password = "Lockout-Pass-1";

    [Fact]
    public async Task FiveWrongPasswords_RefuseTheRightOneAs401_OtherUsersUnaffected()
    {
        var name = "it-lockout-" + Guid.NewGuid().ToString("N")[..8];
        await SeedReaderAsync(name);
        TroveClient.Expect(await server.Client.RequestTokenAsync(name, Password, "demo"), 201);

        ApiResponse? wrong = null;
        for (var i = 0; i < 5; i++)
        {
            wrong = TroveClient.Expect(await server.Client.RequestTokenAsync(name, Password + "x", "demo"), 401);
        }

        var locked = TroveClient.Expect(await server.Client.RequestTokenAsync(name, Password, "demo"), 401);
        Assert.False(locked.Headers.Contains("X-Subject-Token"), $"a locked-out user got a token: {locked}");
        Assert.Equal(wrong!.Text, locked.Text);
        TroveClient.Expect(await server.Client.RequestTokenAsync("admin", server.AdminPassword, "demo"), 201);
    }

    private async Task SeedReaderAsync(string name)
    {
        var identity = new IdentityStore(new StateDb(Path.Combine(server.DataDir, "state.db")), TimeProvider.System);
        var demo = await identity.FindProjectAsync("default", null, "demo", default)
                   ?? throw new InvalidOperationException("The demo project is missing.");
        const int iterations = 100_000;
        var salt = RandomNumberGenerator.GetBytes(16);
        var hash = Rfc2898DeriveBytes.Pbkdf2(Password, salt, iterations, HashAlgorithmName.SHA256, 32);
        var user = new UserAccount(Guid.NewGuid().ToString("N"), name, "default",
            $"pbkdf2-sha256${iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}", true);
        await identity.CreateUserAsync(user, default);
        await identity.AssignRoleAsync(user.Id, demo.Id, RoleNames.Reader, default);
    }
}

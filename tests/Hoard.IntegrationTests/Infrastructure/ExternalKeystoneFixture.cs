using System.Text.Json.Nodes;

namespace Hoard.IntegrationTests.Infrastructure;

/// <summary>
/// A private Keystone set up as an operator would for Trove — a <c>service</c> project with a <c>trove</c> service user
/// holding the <c>service</c> role, and the <c>database</c> service and endpoint in the catalog — and a hoard-server with
/// <c>Hoard:Identity:Mode=keystone</c> on it (service password in its environment only). A project <c>team</c> has a
/// member and a reader. Nothing starts where <see cref="KeystoneServer.SkipReason"/> says the tests are skipped.
/// </summary>
public sealed class ExternalKeystoneFixture : IAsyncLifetime
{
    /// <summary>Short, so that the revocation test need not wait a minute; the default is 60 s.</summary>
    public const int CacheSeconds = 3;

    public const string Password = "Team-Pw-1";

    public KeystoneServer Keystone { get; } = new();

    public HoardServerFixture Hoard { get; private set; } = null!;

    public string ServicePassword { get; } = "Svc-" + Guid.NewGuid().ToString("N");

    public TroveSession KeystoneAdmin { get; private set; } = null!;

    public string TeamProjectId { get; private set; } = "";

    /// <summary>Keystone's id of hoard-server's service user, <c>trove</c>.</summary>
    public string ServiceUserId { get; private set; } = "";

    public async Task InitializeAsync()
    {
        if (KeystoneServer.SkipReason is not null)
        {
            return;
        }

        try
        {
            await Keystone.InitializeAsync();
            KeystoneAdmin = await Keystone.Client.LoginAsync("admin", Keystone.AdminPassword, "admin");
            var service = await CreateAsync("projects", "project", new JsonObject { ["name"] = "service", ["domain_id"] = "default" });
            ServiceUserId = await CreateAsync("users", "user", new JsonObject { ["name"] = "trove", ["domain_id"] = "default", ["password"] = ServicePassword });
            var serviceRole = await CreateAsync("roles", "role", new JsonObject { ["name"] = "service" });
            await GrantAsync(service, ServiceUserId, serviceRole);

            TeamProjectId = await CreateAsync("projects", "project", new JsonObject { ["name"] = "team", ["domain_id"] = "default" });
            await GrantAsync(TeamProjectId, await CreateUserAsync("alice"), await RoleIdAsync("member"));
            await GrantAsync(TeamProjectId, await CreateUserAsync("rita"), await RoleIdAsync("reader"));

            Hoard = new HoardServerFixture(Settings(ServicePassword));
            await Hoard.StartWithoutBuiltInIdentityAsync();
            // The catalog entry docs/identity.md tells operators to register, made with the same commands.
            await AdminCliAsync("service", "create", "--name", "trove", "--description", "Hoard (Trove API)", "database");
            await AdminCliAsync("endpoint", "create", "--region", "RegionOne", "database", "public", Hoard.BaseUrl + "/v1.0/%(tenant_id)s");
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    /// <summary>hoard-server's settings for this Keystone, as its environment: <c>Hoard__Section__Key</c>.</summary>
    public Dictionary<string, string> Settings(string servicePassword) => new()
    {
        ["Hoard__Identity__Mode"] = "keystone",
        ["Hoard__Keystone__Url"] = Keystone.Url + "/v3",
        ["Hoard__Keystone__ServiceUserName"] = "trove",
        ["Hoard__Keystone__ServicePassword"] = servicePassword,
        ["Hoard__Keystone__ServiceProjectName"] = "service",
        ["Hoard__Keystone__CacheSeconds"] = CacheSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    public async Task DisposeAsync()
    {
        if (Hoard is not null)
        {
            await Hoard.DisposeAsync();
        }

        await Keystone.DisposeAsync();
    }

    /// <summary>A token of a user of project team, from Keystone.</summary>
    public Task<TroveSession> LoginAsync(string user) => Keystone.Client.LoginAsync(user, Password, "team");

    public async Task<string> AdminCliAsync(params string[] arguments)
    {
        var result = await OpenStackCli.RunWithAsync(Keystone.AdminOpenRc, arguments);
        Assert.True(result.Succeeded, $"{result}\n--- Keystone:\n{Keystone.Log}");
        return result.Stdout;
    }

    /// <summary>Disables and enables a Keystone user, which revokes every token the user had.</summary>
    public async Task RevokeTokensOfAsync(string userId)
    {
        foreach (var enabled in new[] { false, true })
        {
            var response = await Keystone.Client.SendAsync(HttpMethod.Patch, $"/v3/users/{userId}", KeystoneAdmin.Token,
                new JsonObject { ["user"] = new JsonObject { ["enabled"] = enabled } }.ToJsonString());
            Assert.True(response.Status == 200, response.ToString());
        }
    }

    private Task<string> CreateUserAsync(string name) =>
        CreateAsync("users", "user", new JsonObject { ["name"] = name, ["domain_id"] = "default", ["password"] = Password });

    private async Task<string> CreateAsync(string collection, string kind, JsonObject body)
    {
        var response = await Keystone.Client.SendAsync(HttpMethod.Post, $"/v3/{collection}", KeystoneAdmin.Token,
            new JsonObject { [kind] = body }.ToJsonString());
        Assert.True(response.Status == 201, response.ToString());
        return response.Object[kind]!["id"]!.GetValue<string>();
    }

    private async Task<string> RoleIdAsync(string name)
    {
        var response = await Keystone.Client.SendAsync(HttpMethod.Get, $"/v3/roles?name={name}", KeystoneAdmin.Token);
        return response.Object["roles"]!.AsArray().Single()!["id"]!.GetValue<string>();
    }

    private async Task GrantAsync(string project, string user, string role)
    {
        var response = await Keystone.Client.SendAsync(HttpMethod.Put, $"/v3/projects/{project}/users/{user}/roles/{role}", KeystoneAdmin.Token);
        Assert.True(response.Status == 204, response.ToString());
    }
}

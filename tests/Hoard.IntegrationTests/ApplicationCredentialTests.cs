using System.Text.Json.Nodes;
using Hoard.IntegrationTests.Infrastructure;

namespace Hoard.IntegrationTests;

/// <summary>
/// Keystone application credentials with nothing but the stock <c>openstack</c> client: a member makes them, automation
/// logs in with one (<c>--os-auth-type v3applicationcredential</c>) and gets only its roles in its project, and deleting
/// it or taking the member's role away ends it and its tokens.
/// </summary>
[Collection(HoardServerCollection.Name)]
[Trait("Category", "Integration")]
public sealed class ApplicationCredentialTests(HoardServerFixture server)
{
    private const string Password = "AppCred-Pw-1";
    private readonly string _suffix = Guid.NewGuid().ToString("N")[..6];

    [Fact]
    public async Task AMembersCredentials_WorkWithTheStockClient_WithOnlyTheirRoles_UntilDeleted()
    {
        var (project, member) = ($"ac-{_suffix}", $"erin-{_suffix}");
        try
        {
            await SetUpMemberAsync(project, member);
            var ci = JsonNode.Parse(await As(member, project, "application", "credential", "create", $"ci-{_suffix}",
                "--description", "the nightly job", "-f", "json"))!;
            var (ciId, ciSecret) = (ci["id"]!.GetValue<string>(), ci["secret"]!.GetValue<string>());
            Assert.True(ciSecret.Length >= 40, $"a generated secret should be long and random: {ciSecret.Length} characters");
            Assert.Equal("member", ci["roles"]!.GetValue<string>());
            const string readerSecret = "Reader-Cred-Secret-1";
            var rd = JsonNode.Parse(await As(member, project, "application", "credential", "create", $"rd-{_suffix}",
                "--role", "reader", "--secret", readerSecret, "--expiration", "2099-01-01T00:00:00", "-f", "json"))!;
            var rdId = rd["id"]!.GetValue<string>();
            Assert.Equal(readerSecret, rd["secret"]!.GetValue<string>());

            var listed = await As(member, project, "application", "credential", "list", "-f", "value", "-c", "Name");
            Assert.Equal([$"ci-{_suffix}", $"rd-{_suffix}"], Lines(listed).Order());
            var shown = JsonNode.Parse(await As(member, project, "application", "credential", "show", $"rd-{_suffix}", "-f", "json"))!;
            Assert.Equal(("reader", "2099-01-01T00:00:00.000000"), (shown["roles"]!.GetValue<string>(), shown["expires_at"]!.GetValue<string>()));
            Assert.Null(shown["secret"]);

            var list = await OpenStackCli.RunWithApplicationCredentialAsync(server, ciId, ciSecret, "database", "instance", "list", "-f", "json");
            Assert.True(list.Succeeded, list.ToString());
            var configHome = Path.Combine(server.DataDir, "hoard-cli-" + _suffix);
            var login = await HoardCliProcess.RunAsync(server, configHome,
                ["login", "--auth-url", server.OpenRc["OS_AUTH_URL"], "--application-credential-id", ciId, "--password-stdin", "-o", "json"],
                stdin: ciSecret, credentials: false);
            Assert.True(login.Succeeded, login.ToString());
            var whoami = await HoardCliProcess.RunAsync(server, configHome, ["whoami", "-o", "json"], credentials: false);
            Assert.True(whoami.Succeeded, whoami.ToString());
            Assert.Equal(ci["project_id"]!.GetValue<string>(), JsonNode.Parse(whoami.Stdout)!["project_id"]!.GetValue<string>());
            Assert.True((await HoardCliProcess.RunAsync(server, configHome, ["instance", "list"], credentials: false)).Succeeded);

            var readerList = await OpenStackCli.RunWithApplicationCredentialAsync(server, rdId, readerSecret, "database", "flavor", "list", "-f", "value");
            Assert.True(readerList.Succeeded, readerList.ToString());

            var create = await OpenStackCli.RunWithApplicationCredentialAsync(server, rdId, readerSecret, "database", "instance", "create",
                $"no-{_suffix}", "--flavor", "1", "--size", "1", "--datastore", "mariadb", "--datastore-version", "10.11");
            Assert.False(create.Succeeded);
            Assert.Contains("HTTP 403", create.Stderr, StringComparison.Ordinal);

            // Restricted (the default): a credential's token cannot mint more credentials, nor trade itself for a user token.
            var minted = await OpenStackCli.RunWithApplicationCredentialAsync(server, ciId, ciSecret, "application", "credential", "create", $"x-{_suffix}");
            Assert.False(minted.Succeeded);
            Assert.Contains("HTTP 403", minted.Stderr, StringComparison.Ordinal);
            var ciToken = await TokenAsync(new JsonObject { ["id"] = ciId, ["secret"] = ciSecret });
            var traded = await server.Client.SendAsync(HttpMethod.Post, "/v3/auth/tokens", body: new JsonObject
            {
                ["auth"] = new JsonObject
                {
                    ["identity"] = new JsonObject { ["methods"] = new JsonArray("token"), ["token"] = new JsonObject { ["id"] = ciToken.Session.Token } },
                },
            }.ToJsonString());
            Assert.Equal(403, traded.Status);

            var rdToken = await TokenAsync(new JsonObject { ["id"] = rdId, ["secret"] = readerSecret });
            Assert.Equal(["reader"], rdToken.Roles);
            TroveClient.Expect(await server.Client.PostAsync(rdToken.Session, "instances",
                TroveClient.InstanceBody($"no-{_suffix}", "shop", "app", "Reader-Pw-1").ToJsonString()), 403);

            await As(member, project, "application", "credential", "delete", $"rd-{_suffix}");
            TroveClient.Expect(await server.Client.GetAsync(rdToken.Session, "instances"), 401);
            var deleted = await OpenStackCli.RunWithApplicationCredentialAsync(server, rdId, readerSecret, "database", "instance", "list");
            Assert.False(deleted.Succeeded);
            Assert.Contains("HTTP 401", deleted.Stderr, StringComparison.Ordinal);
            Assert.Equal([$"ci-{_suffix}"], Lines(await As(member, project, "application", "credential", "list", "-f", "value", "-c", "Name")));

            var wrong = await OpenStackCli.RunWithApplicationCredentialAsync(server, ciId, ciSecret + "x", "database", "instance", "list");
            Assert.False(wrong.Succeeded);
            Assert.Contains("HTTP 401", wrong.Stderr, StringComparison.Ordinal);
            Assert.False(server.ServerLogged(l => l.Contains(ciSecret, StringComparison.Ordinal) || l.Contains(readerSecret, StringComparison.Ordinal)),
                "a secret reached the server's log");
        }
        finally
        {
            await CleanUpAsync(member, project);
        }
    }

    [Fact]
    public async Task LosingTheRole_OrBeingDisabled_EndsTheCredentialAndItsTokens()
    {
        var (project, member) = ($"acr-{_suffix}", $"finn-{_suffix}");
        try
        {
            await SetUpMemberAsync(project, member);
            var created = JsonNode.Parse(await As(member, project, "application", "credential", "create", $"ci-{_suffix}", "-f", "json"))!;
            var credential = new JsonObject
            {
                ["name"] = $"ci-{_suffix}", ["secret"] = created["secret"]!.GetValue<string>(),
                ["user"] = new JsonObject { ["name"] = member, ["domain"] = new JsonObject { ["name"] = "Default" } },
            };

            var byName = await TokenAsync(credential.DeepClone().AsObject());
            TroveClient.Expect(await server.Client.GetAsync(byName.Session, "instances"), 200);
            await Admin("user", "set", "--disable", member);
            TroveClient.Expect(await server.Client.GetAsync(byName.Session, "instances"), 401);
            Assert.Equal(401, (await RequestTokenAsync(credential.DeepClone().AsObject())).Status);
            await Admin("user", "set", "--enable", member);

            var again = await TokenAsync(credential.DeepClone().AsObject());
            await Admin("role", "remove", "--project", project, "--user", member, "member");
            TroveClient.Expect(await server.Client.GetAsync(again.Session, "instances"), 401);
            Assert.Equal(401, (await RequestTokenAsync(credential.DeepClone().AsObject())).Status);
            await Admin("role", "add", "--project", project, "--user", member, "member");
            Assert.Empty(Lines(await As(member, project, "application", "credential", "list", "-f", "value")));
        }
        finally
        {
            await CleanUpAsync(member, project);
        }
    }

    [Fact]
    public async Task BadRequests_AreAnsweredAsKeystoneDoes_AndCreateNothing()
    {
        var admin = server.Admin;
        var me = (await server.Client.SendAsync(HttpMethod.Get, "/v3/auth/tokens", admin.Token, headers: [("X-Subject-Token", admin.Token)]))
            .Object["token"]!["user"]!["id"]!.GetValue<string>();
        var path = $"/v3/users/{me}/application_credentials";

        async Task<int> Post(JsonObject credential) =>
            (await server.Client.SendAsync(HttpMethod.Post, path, admin.Token, new JsonObject { ["application_credential"] = credential }.ToJsonString())).Status;

        Assert.Equal(400, await Post(new JsonObject { ["description"] = "no name" }));
        Assert.Equal(400, await Post(new JsonObject { ["name"] = 5 }));
        Assert.Equal(400, await Post(new JsonObject { ["name"] = $"old-{_suffix}", ["expires_at"] = "2001-01-01T00:00:00" }));
        Assert.Equal(400, await Post(new JsonObject { ["name"] = $"bad-{_suffix}", ["expires_at"] = "next tuesday" }));
        Assert.Equal(400, await Post(new JsonObject { ["name"] = $"bad-{_suffix}", ["unrestricted"] = "yes" }));
        Assert.Equal(404, await Post(new JsonObject { ["name"] = $"bad-{_suffix}", ["roles"] = new JsonArray(new JsonObject { ["name"] = "superuser" }) }));
        Assert.Equal(201, await Post(new JsonObject { ["name"] = $"dup-{_suffix}" }));
        Assert.Equal(409, await Post(new JsonObject { ["name"] = $"dup-{_suffix}" }));
        var names = (await server.Client.SendAsync(HttpMethod.Get, path, admin.Token)).Object["application_credentials"]!.AsArray()
            .Select(c => c!["name"]!.GetValue<string>()).Where(n => n.EndsWith(_suffix, StringComparison.Ordinal)).ToList();
        Assert.Equal([$"dup-{_suffix}"], names);

        var other = await server.Client.SendAsync(HttpMethod.Get, path, server.Other.Token);
        Assert.Equal(403, other.Status);
        Assert.Equal(401, (await RequestTokenAsync(new JsonObject { ["id"] = "no-such-credential", ["secret"] = "x" })).Status);
        var id = JsonNode.Parse((await OpenStackCli.OkAsync(server, "application", "credential", "show", $"dup-{_suffix}", "-f", "json")))!["id"]!.GetValue<string>();
        var scoped = await server.Client.SendAsync(HttpMethod.Post, "/v3/auth/tokens", body: new JsonObject
        {
            ["auth"] = new JsonObject
            {
                ["identity"] = new JsonObject
                {
                    ["methods"] = new JsonArray("application_credential"), ["application_credential"] = new JsonObject { ["id"] = id, ["secret"] = "x" },
                },
                ["scope"] = new JsonObject { ["project"] = new JsonObject { ["id"] = server.Other.ProjectId } },
            },
        }.ToJsonString());
        Assert.Equal(401, scoped.Status);
        await OpenStackCli.OkAsync(server, "application", "credential", "delete", $"dup-{_suffix}");
    }

    private async Task SetUpMemberAsync(string project, string member)
    {
        await Admin("project", "create", project);
        await Admin("user", "create", member, "--project", project, "--password", Password);
        await Admin("role", "add", "--project", project, "--user", member, "member");
    }

    private async Task<(TroveSession Session, IReadOnlyList<string> Roles)> TokenAsync(JsonObject credential)
    {
        var response = await RequestTokenAsync(credential);
        Assert.Equal(201, response.Status);
        var token = response.Object["token"]!;
        Assert.Equal("application_credential", token["methods"]![0]!.GetValue<string>());
        Assert.NotNull(token["application_credential"]);
        return (new TroveSession(response.Headers.GetValues("X-Subject-Token").Single(), token["project"]!["id"]!.GetValue<string>(), token["user"]!["name"]!.GetValue<string>()),
            [.. token["roles"]!.AsArray().Select(r => r!["name"]!.GetValue<string>())]);
    }

    private Task<ApiResponse> RequestTokenAsync(JsonObject credential) =>
        server.Client.SendAsync(HttpMethod.Post, "/v3/auth/tokens", body: new JsonObject
        {
            ["auth"] = new JsonObject
            {
                ["identity"] = new JsonObject { ["methods"] = new JsonArray("application_credential"), ["application_credential"] = credential },
            },
        }.ToJsonString());

    private Task<string> Admin(params string[] arguments) => OpenStackCli.OkAsync(server, arguments);

    private async Task<string> As(string user, string project, params string[] arguments)
    {
        var result = await OpenStackCli.RunAsAsync(server, user, Password, project, arguments);
        Assert.True(result.Succeeded, result.ToString());
        return result.Stdout;
    }

    private static List<string> Lines(string output) => [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];

    private async Task CleanUpAsync(string user, string project)
    {
        await OpenStackCli.RunAsync(server, "user", "delete", user);
        await OpenStackCli.RunAsync(server, "project", "delete", project);
    }
}

using System.Text.Json.Nodes;
using Hoard.IntegrationTests.Infrastructure;

namespace Hoard.IntegrationTests;

/// <summary>
/// Onboarding a team with nothing but the stock <c>openstack</c> client: the admin creates projects, users and role
/// assignments through hoard-server's Keystone subset, and Trove's API then keeps the projects apart.
/// </summary>
[Collection(HoardServerCollection.Name)]
[Trait("Category", "Integration")]
public sealed class TenancyAdminTests(HoardServerFixture server)
{
    private readonly string _suffix = Guid.NewGuid().ToString("N")[..6];

    [Fact]
    public async Task AdminOnboardsATeam_WhoseMemberRunsAnInstanceThatOtherProjectsCannotSee()
    {
        var team = $"team-{_suffix}";
        var rival = $"rival-{_suffix}";
        var (member, reader, outsider) = ($"alice-{_suffix}", $"rita-{_suffix}", $"bob-{_suffix}");
        const string password = "Tenancy-Pw-1";
        string? instanceId = null;
        try
        {
            await Admin("project", "create", team, "--description", "onboarded by the test");
            await Admin("project", "create", rival);
            await Admin("user", "create", member, "--project", team, "--password", password);
            await Admin("user", "create", reader, "--project", team, "--password", password);
            await Admin("user", "create", outsider, "--project", rival, "--password", password);
            await Admin("role", "add", "--project", team, "--user", member, "member");
            await Admin("role", "add", "--project", team, "--user", reader, "reader");
            await Admin("role", "add", "--project", rival, "--user", outsider, "member");

            var shown = JsonNode.Parse(await Admin("project", "show", team, "-f", "json"))!;
            Assert.Equal("onboarded by the test", shown["description"]!.GetValue<string>());
            Assert.Contains(team, await Admin("project", "list", "-f", "value"), StringComparison.Ordinal);
            Assert.Contains("Default", await Admin("domain", "list", "-f", "value"), StringComparison.Ordinal);
            Assert.Contains("default", await Admin("domain", "show", "Default", "-f", "value"), StringComparison.Ordinal);
            Assert.Equal(["admin", "member", "reader"], Lines(await Admin("role", "list", "-c", "Name", "-f", "value")).Order());
            var assignments = Lines(await Admin("role", "assignment", "list", "--project", team, "--names", "-c", "Role", "-c", "User", "-f", "value"));
            Assert.Equal([$"member {member}@Default", $"reader {reader}@Default"], assignments.Order());

            var create = await OpenStackCli.RunAsAsync(server, member, password, team, "database", "instance", "create", $"t-{_suffix}",
                "--flavor", "1", "--size", "1", "--datastore", "mariadb", "--datastore-version", "10.11", "-f", "json");
            Assert.True(create.Succeeded, create.ToString());
            instanceId = JsonNode.Parse(create.Stdout)!["id"]!.GetValue<string>();
            await WaitForStatusAsync(member, password, team, instanceId, "ACTIVE");

            var outsiderSession = await server.Client.LoginAsync(outsider, password, rival);
            TroveClient.Expect(await server.Client.GetAsync(outsiderSession, $"instances/{instanceId}"), 404);
            TroveClient.Expect(await server.Client.DeleteAsync(outsiderSession, $"instances/{instanceId}"), 404);
            Assert.DoesNotContain(instanceId, await As(outsider, password, rival, "database", "instance", "list", "-f", "value"), StringComparison.Ordinal);
            Assert.False((await OpenStackCli.RunAsAsync(server, outsider, password, rival, "database", "instance", "show", instanceId)).Succeeded);
            Assert.False((await OpenStackCli.RunAsAsync(server, outsider, password, rival, "database", "instance", "delete", instanceId)).Succeeded);

            Assert.Contains(instanceId, await As(reader, password, team, "database", "instance", "list", "-f", "value"), StringComparison.Ordinal);
            var readerSession = await server.Client.LoginAsync(reader, password, team);
            TroveClient.Expect(await server.Client.PostAsync(readerSession, "instances",
                TroveClient.InstanceBody($"r-{_suffix}", "shop", "app", "Reader-Pw-1").ToJsonString()), 403);

            var denied = await OpenStackCli.RunAsAsync(server, member, password, team, "project", "create", $"nope-{_suffix}");
            Assert.False(denied.Succeeded);
            Assert.Contains("HTTP 403", denied.Stderr, StringComparison.Ordinal);
            Assert.DoesNotContain($"nope-{_suffix}", await Admin("project", "list", "-f", "value"), StringComparison.Ordinal);

            await WaitForStatusAsync(member, password, team, instanceId, "ACTIVE");
        }
        finally
        {
            if (instanceId is not null)
            {
                await DeleteInstanceAsync(member, password, team, instanceId);
            }

            await CleanUpAsync([member, reader, outsider], [team, rival]);
        }
    }

    [Fact]
    public async Task RemovedRole_DisabledUser_NewPasswordAndDeletion_RevokeTokens()
    {
        var project = $"rev-{_suffix}";
        var user = $"carol-{_suffix}";
        try
        {
            await Admin("project", "create", project);
            await Admin("user", "create", user, "--password", "First-Pw-1");
            await Admin("role", "add", "--project", project, "--user", user, "member");

            var session = await LoginAsync(user, "First-Pw-1", project);
            await Admin("role", "remove", "--project", project, "--user", user, "member");
            await ExpectRevokedAsync(session);
            Assert.Equal(401, (await server.Client.RequestTokenAsync(user, "First-Pw-1", project)).Status);

            await Admin("role", "add", "--project", project, "--user", user, "member");
            session = await LoginAsync(user, "First-Pw-1", project);
            await Admin("user", "set", "--password", "Second-Pw-2", user);
            await ExpectRevokedAsync(session);
            Assert.Equal(401, (await server.Client.RequestTokenAsync(user, "First-Pw-1", project)).Status);

            session = await LoginAsync(user, "Second-Pw-2", project);
            await Admin("user", "set", "--disable", user);
            await ExpectRevokedAsync(session);
            Assert.Equal(401, (await server.Client.RequestTokenAsync(user, "Second-Pw-2", project)).Status);
            await Admin("user", "set", "--enable", user);

            session = await LoginAsync(user, "Second-Pw-2", project);
            await As(user, "Second-Pw-2", project, "user", "password", "set", "--original-password", "Second-Pw-2", "--password", "Third-Pw-3");
            await ExpectRevokedAsync(session);

            session = await LoginAsync(user, "Third-Pw-3", project);
            await Admin("user", "delete", user);
            await ExpectRevokedAsync(session);
        }
        finally
        {
            await CleanUpAsync([user], [project]);
        }
    }

    [Fact]
    public async Task AdminSetsShowsListsAndDeletesProjectsAndUsers()
    {
        var project = $"ops-{_suffix}";
        var user = $"dave-{_suffix}";
        var renamed = $"david-{_suffix}";
        try
        {
            var projectId = JsonNode.Parse(await Admin("project", "create", project, "-f", "json"))!["id"]!.GetValue<string>();
            var userId = JsonNode.Parse(await Admin("user", "create", user, "--project", project, "--password", "Dave-Pw-1", "-f", "json"))!["id"]!.GetValue<string>();
            await Admin("role", "add", "--project", project, "--user", user, "admin");

            await Admin("project", "set", "--description", "renamed later", "--disable", project);
            var shown = JsonNode.Parse(await Admin("project", "show", projectId, "-f", "json"))!;
            Assert.Equal("renamed later", shown["description"]!.GetValue<string>());
            Assert.False(shown["enabled"]!.GetValue<bool>());
            Assert.Equal(401, (await server.Client.RequestTokenAsync(user, "Dave-Pw-1", project)).Status);
            await Admin("project", "set", "--enable", project);

            await Admin("user", "set", "--name", renamed, user);
            var shownUser = JsonNode.Parse(await Admin("user", "show", renamed, "-f", "json"))!;
            Assert.Equal(userId, shownUser["id"]!.GetValue<string>());
            Assert.Equal(projectId, shownUser["default_project_id"]!.GetValue<string>());
            Assert.Contains(renamed, await Admin("user", "list", "-f", "value"), StringComparison.Ordinal);
            Assert.Equal([$"admin {project}@Default"],
                Lines(await Admin("role", "assignment", "list", "--user", renamed, "--names", "-c", "Role", "-c", "Project", "-f", "value")));

            await Admin("project", "delete", project);
            Assert.False((await OpenStackCli.RunAsync(server, "project", "show", projectId)).Succeeded);
            Assert.Empty(Lines(await Admin("role", "assignment", "list", "--user", renamed, "-f", "value")));
            Assert.Equal(401, (await server.Client.RequestTokenAsync(renamed, "Dave-Pw-1", project)).Status);
        }
        finally
        {
            await CleanUpAsync([user, renamed], [project]);
        }
    }

    [Fact]
    public async Task NonAdminWrites_AreForbiddenInKeystoneFormat_AndBadInputChangesNothing()
    {
        var member = await server.Client.LoginAsync(server.Other.UserName, server.OtherPassword, "it-other");
        var forbidden = await server.Client.SendAsync(HttpMethod.Post, "/v3/projects", member.Token,
            new JsonObject { ["project"] = new JsonObject { ["name"] = $"x-{_suffix}" } }.ToJsonString());
        Assert.Equal(403, forbidden.Status);
        Assert.Equal("Forbidden", forbidden.Object["error"]!["title"]!.GetValue<string>());
        Assert.Equal(403, forbidden.Object["error"]!["code"]!.GetValue<int>());

        var bad = await server.Client.SendAsync(HttpMethod.Post, "/v3/projects", server.Admin.Token,
            new JsonObject { ["project"] = new JsonObject { ["name"] = $"x-{_suffix}", ["enabled"] = "yes" } }.ToJsonString());
        Assert.Equal(400, bad.Status);
        Assert.Contains("enabled", bad.Object["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.DoesNotContain($"x-{_suffix}", await Admin("project", "list", "-f", "value"), StringComparison.Ordinal);

        var users = await server.Client.SendAsync(HttpMethod.Get, "/v3/users", member.Token);
        Assert.Equal(200, users.Status);
        Assert.Equal([server.Other.UserName], users.Object["users"]!.AsArray().Select(u => u!["name"]!.GetValue<string>()));
    }

    private Task<string> Admin(params string[] arguments) => OpenStackCli.OkAsync(server, arguments);

    private async Task<string> As(string user, string password, string project, params string[] arguments)
    {
        var result = await OpenStackCli.RunAsAsync(server, user, password, project, arguments);
        Assert.True(result.Succeeded, result.ToString());
        return result.Stdout;
    }

    private Task<TroveSession> LoginAsync(string user, string password, string project) => server.Client.LoginAsync(user, password, project);

    private async Task ExpectRevokedAsync(TroveSession session) =>
        TroveClient.Expect(await server.Client.GetAsync(session, "instances"), 401);

    private static IEnumerable<string> Lines(string output) => output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private async Task WaitForStatusAsync(string user, string password, string project, string id, string status)
    {
        ProcessResult? last = null;
        await Poll.UntilAsync(async () =>
        {
            last = await OpenStackCli.RunAsAsync(server, user, password, project, "database", "instance", "show", id, "-f", "json");
            Assert.True(last.Succeeded, last.ToString());
            var shown = JsonNode.Parse(last.Stdout)!["status"]!.GetValue<string>();
            Assert.NotEqual("ERROR", shown);
            return shown == status;
        }, $"`openstack database instance show {id}` never said {status}", 180, () => last?.ToString() ?? "nothing", intervalMs: 1000);
    }

    private async Task DeleteInstanceAsync(string user, string password, string project, string id)
    {
        await OpenStackCli.RunAsAsync(server, user, password, project, "database", "instance", "delete", id);
        await Poll.UntilAsync(async () =>
            !(await OpenStackCli.RunAsAsync(server, user, password, project, "database", "instance", "list", "-f", "value")).Stdout.Contains(id, StringComparison.Ordinal),
            $"instance {id} was never deleted", 120, intervalMs: 1000);
    }

    private async Task CleanUpAsync(IEnumerable<string> users, IEnumerable<string> projects)
    {
        foreach (var user in users)
        {
            await OpenStackCli.RunAsync(server, "user", "delete", user);
        }

        foreach (var project in projects)
        {
            await OpenStackCli.RunAsync(server, "project", "delete", project);
        }
    }
}

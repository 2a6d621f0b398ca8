using System.Text.RegularExpressions;
using Hoard.DashboardTests.Infrastructure;
using Hoard.IntegrationTests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Hoard.DashboardTests;

[Collection(DashboardCollection.Name)]
public sealed partial class InstanceLifecycleTests(HoardServerFixture server, BrowserFixture browser)
{
    private const string UserPassword = "Reporter-Pass-1";

    [Fact]
    public async Task Log_in_create_see_it_turn_ACTIVE_live_add_a_user_back_up_and_delete()
    {
        var page = await browser.NewPageAsync(server.BaseUrl);
        await page.GotoAsync("/login");
        await LoginPage.FillAsync(page, "admin", server.AdminPassword, "demo");
        await Screenshots.TakeAsync(page, "login");
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        await page.WaitForURLAsync("**/instances");

        await page.GetByRole(AriaRole.Link, new() { Name = "Create instance" }).ClickAsync();
        await page.WaitForURLAsync("**/instances/new");
        // Filled before the page is interactive, the fields would be reset when it becomes so.
        await Expect(page.Locator("#create")).ToBeEnabledAsync();
        await page.Locator("#name").FillAsync("dash-db");
        await page.Locator("#datastore").SelectOptionAsync("mariadb");
        await page.Locator("#version").SelectOptionAsync("10.11");
        await page.Locator("#volume").FillAsync("1");
        await page.Locator("#databases").FillAsync("shop");
        await Screenshots.TakeAsync(page, "create-instance");
        await page.Locator("#create").ClickAsync();
        await page.WaitForURLAsync(InstancePage());
        var id = InstancePage().Match(page.Url).Groups["id"].Value;

        // The list updates itself: the page is never reloaded while BUILD turns ACTIVE.
        await page.GotoAsync("/instances");
        var status = page.Locator("tr[data-instance='dash-db'] .status");
        Assert.NotEqual("ACTIVE", await status.GetAttributeAsync("data-status"));
        await page.EvaluateAsync("window.notReloaded = true");
        await Expect(status).ToHaveAttributeAsync("data-status", "ACTIVE", new() { Timeout = 180_000 });
        Assert.True(await page.EvaluateAsync<bool>("window.notReloaded === true"));
        await Screenshots.TakeAsync(page, "instances");

        await page.GetByRole(AriaRole.Link, new() { Name = "dash-db" }).ClickAsync();
        await page.WaitForURLAsync($"**/instances/{id}");
        await Expect(page.Locator("#connection-string")).ToContainTextAsync("mysql://");
        await Expect(page.Locator("#flavor")).ToHaveTextAsync("m1.tiny");
        await page.GetByRole(AriaRole.Tab, new() { Name = "Databases" }).ClickAsync();
        await Expect(page.Locator("#databases")).ToContainTextAsync("shop");
        foreach (var tab in new[] { "Configuration", "Replicas", "Events", "Logs", "Metrics" })
        {
            await page.GetByRole(AriaRole.Tab, new() { Name = tab }).ClickAsync();
            await Expect(page.GetByRole(AriaRole.Tab, new() { Name = tab })).ToHaveAttributeAsync("aria-selected", "true");
            await Expect(page.GetByRole(AriaRole.Alert)).ToHaveCountAsync(0);
        }

        await page.GetByRole(AriaRole.Tab, new() { Name = "Events" }).ClickAsync();
        await Expect(page.Locator("#events")).ToContainTextAsync("provision_instance started");
        await Expect(page.Locator("#events")).ToContainTextAsync("provision_instance succeeded");
        // Samples come with the guest's heartbeats (every 2 s); rates such as CPU need two, a line through three points four.
        await page.GetByRole(AriaRole.Tab, new() { Name = "Metrics" }).ClickAsync();
        await Expect(page.Locator("figure.chart", new() { HasText = "CPU %" }).Locator("svg path.series").Last)
            .ToHaveAttributeAsync("d", ThreePointLine(), new() { Timeout = 30_000 });
        await Screenshots.TakeAsync(page, "instance-metrics");
        await page.GetByRole(AriaRole.Tab, new() { Name = "Overview" }).ClickAsync();
        await Expect(page.Locator("#flavor")).ToBeVisibleAsync();
        await Screenshots.TakeAsync(page, "instance-detail");

        await page.GetByRole(AriaRole.Tab, new() { Name = "Users" }).ClickAsync();
        await page.Locator("#new-user-name").FillAsync("reporter");
        await page.Locator("#new-user-password").FillAsync(UserPassword);
        await page.Locator("#new-user-databases").FillAsync("shop");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add user" }).ClickAsync();
        await Expect(page.Locator("tr[data-user='reporter']")).ToContainTextAsync("shop");
        Assert.DoesNotContain(UserPassword, await page.ContentAsync());
        var users = await server.Client.GetAsync(server.Admin, $"instances/{id}/users");
        Assert.Contains("\"reporter\"", users.Text);

        await page.GetByRole(AriaRole.Tab, new() { Name = "Backups" }).ClickAsync();
        await page.Locator("#new-backup-name").FillAsync("nightly");
        await page.GetByRole(AriaRole.Button, new() { Name = "Back up now" }).ClickAsync();
        await Expect(page.Locator("tr[data-backup='nightly'] .status"))
            .ToHaveAttributeAsync("data-status", "COMPLETED", new() { Timeout = 180_000 });
        await Screenshots.TakeAsync(page, "instance-backups");

        await page.Locator("#delete").ClickAsync();
        await page.Locator("#confirm-delete").ClickAsync();
        await Expect(page.Locator("#instance-gone")).ToBeVisibleAsync(new() { Timeout = 120_000 });
        Assert.Equal(404, (await server.Client.GetAsync(server.Admin, $"instances/{id}")).Status);
    }

    [Fact]
    public async Task A_backup_restores_into_a_new_instance_from_the_backups_page()
    {
        var created = await server.Client.CreateInstanceAsync(server.Admin, TroveClient.InstanceBody("dash-source", "orders", null));
        var sourceId = created["id"]!.GetValue<string>();
        await server.Client.WaitForActiveAsync(server.Admin, sourceId);
        TroveClient.Expect(await server.Client.PostAsync(server.Admin, "backups",
            $$$"""{"backup": {"name": "dash-restore-me", "instance": "{{{sourceId}}}"}}"""), 202);

        var page = await browser.NewPageAsync(server.BaseUrl);
        await LoginPage.LogInAsync(page, "admin", server.AdminPassword, "demo");
        await page.GotoAsync("/backups");
        var backup = page.Locator("tr[data-backup='dash-restore-me']");
        await Expect(backup.Locator(".status")).ToHaveAttributeAsync("data-status", "COMPLETED", new() { Timeout = 180_000 });
        await backup.GetByRole(AriaRole.Link, new() { Name = "restore" }).ClickAsync();

        await page.WaitForURLAsync("**/instances/new?backup=*");
        await Expect(page.Locator("#create")).ToBeEnabledAsync();
        await Expect(page.GetByLabel("Restore a backup")).ToBeCheckedAsync();
        await page.Locator("#name").FillAsync("dash-restored");
        await page.Locator("#create").ClickAsync();
        await page.WaitForURLAsync(InstancePage());
        await Expect(page.Locator("h1 + .status")).ToHaveAttributeAsync("data-status", "ACTIVE", new() { Timeout = 180_000 });
        await page.GetByRole(AriaRole.Tab, new() { Name = "Databases" }).ClickAsync();
        await Expect(page.Locator("#databases")).ToContainTextAsync("orders");
    }

    [GeneratedRegex(@"/instances/(?<id>[0-9a-f-]{36})$")]
    private static partial Regex InstancePage();

    [GeneratedRegex(@"^M [\d.]+,[\d.]+( L [\d.]+,[\d.]+){2,}$")]
    private static partial Regex ThreePointLine();
}

using Hoard.DashboardTests.Infrastructure;
using Hoard.IntegrationTests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Hoard.DashboardTests;

[Collection(DashboardCollection.Name)]
public sealed class PagesTests(HoardServerFixture server, BrowserFixture browser)
{
    [Theory]
    [InlineData("/backups", "Backups")]
    [InlineData("/configurations", "Configuration groups")]
    [InlineData("/admin/instances", "Instances of all projects")]
    [InlineData("/admin/quotas", "Quotas")]
    [InlineData("/admin/hosts", "Hosts")]
    public async Task An_admin_sees_the_page_without_an_error(string path, string heading)
    {
        var page = await browser.NewPageAsync(server.BaseUrl);
        await LoginPage.LogInAsync(page, "admin", server.AdminPassword, "demo");
        await page.GotoAsync(path);

        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = heading, Exact = true })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task An_admin_sees_a_projects_quotas_as_the_API_gives_them()
    {
        var page = await browser.NewPageAsync(server.BaseUrl);
        await LoginPage.LogInAsync(page, "admin", server.AdminPassword, "demo");
        await page.GotoAsync("/admin/quotas");

        await Expect(page.GetByRole(AriaRole.Cell, new() { Name = "instances", Exact = true })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Cell, new() { Name = "backups", Exact = true })).ToBeVisibleAsync();
    }

    [Fact]
    public async Task A_configuration_group_made_in_the_form_is_listed_and_a_bad_value_shows_the_APIs_fault()
    {
        var page = await browser.NewPageAsync(server.BaseUrl);
        await LoginPage.LogInAsync(page, "admin", server.AdminPassword, "demo");
        await page.GotoAsync("/configurations");
        var create = page.GetByRole(AriaRole.Button, new() { Name = "Create", Exact = true });
        await Expect(create).ToBeEnabledAsync();

        await page.GetByLabel("Name").FillAsync("dash-tuned");
        await page.GetByLabel("Values (JSON)").FillAsync("""{"max_connections": 300}""");
        await create.ClickAsync();
        await Expect(page.Locator("details", new() { HasText = "dash-tuned" })).ToContainTextAsync("max_connections");

        await page.GetByLabel("Name").FillAsync("dash-bad");
        await page.GetByLabel("Values (JSON)").FillAsync("""{"no_such_parameter": 1}""");
        await create.ClickAsync();
        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("no_such_parameter");
    }

    [Fact]
    public async Task Switching_project_rescopes_the_session_and_logging_out_ends_it()
    {
        var page = await browser.NewPageAsync(server.BaseUrl);
        await LoginPage.LogInAsync(page, "admin", server.AdminPassword, "demo");

        await page.GetByLabel("Project").SelectOptionAsync(new SelectOptionValue { Label = "admin" });
        await page.GetByRole(AriaRole.Button, new() { Name = "Switch" }).ClickAsync();
        await page.WaitForURLAsync("**/instances");
        await Expect(page.GetByLabel("Project")).ToHaveValueAsync(server.AdminProjectId);

        await page.GetByRole(AriaRole.Button, new() { Name = "Log out" }).ClickAsync();
        await page.WaitForURLAsync("**/login");
        await page.GotoAsync("/instances");
        await page.WaitForURLAsync("**/login?ReturnUrl=*");
    }
}

using Hoard.DashboardTests.Infrastructure;
using Hoard.IntegrationTests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Hoard.DashboardTests;

[Collection(DashboardCollection.Name)]
public sealed class LoginTests(HoardServerFixture server, BrowserFixture browser)
{
    [Fact]
    public async Task A_wrong_password_shows_an_error_and_signs_nobody_in()
    {
        var page = await browser.NewPageAsync(server.BaseUrl);
        await page.GotoAsync("/login");
        await LoginPage.FillAsync(page, "admin", "Not-The-Password-1", "demo");
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();

        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("password");
        Assert.EndsWith("/login", new Uri(page.Url).AbsolutePath);
        Assert.DoesNotContain("Not-The-Password-1", await page.ContentAsync());
        await page.GotoAsync("/instances");
        await page.WaitForURLAsync("**/login?ReturnUrl=*");
    }

    [Fact]
    public async Task A_browser_asking_for_the_root_is_sent_to_the_dashboard_while_API_clients_get_the_versions()
    {
        var page = await browser.NewPageAsync(server.BaseUrl);
        await page.GotoAsync("/");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Log in" })).ToBeVisibleAsync();

        var versions = await server.Client.SendAsync(HttpMethod.Get, "/");
        Assert.Equal(200, versions.Status);
        Assert.Equal("v1.0", versions.Object["versions"]![0]!["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_session_survives_a_restart_of_the_server_whose_keys_are_kept_private_under_the_data_dir()
    {
        var page = await browser.NewPageAsync(server.BaseUrl);
        await LoginPage.LogInAsync(page, "admin", server.AdminPassword, "demo");

        await server.CrashAndRestartServerAsync();
        await page.GotoAsync("/instances");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Instances" })).ToBeVisibleAsync();
        Assert.EndsWith("/instances", new Uri(page.Url).AbsolutePath);

        var keys = Path.Combine(server.DataDir, "secrets", "dashboard-keys");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(keys));
        Assert.NotEmpty(Directory.GetFiles(keys, "key-*.xml"));
    }

    [Fact]
    public async Task A_member_sees_no_admin_pages_and_is_refused_them()
    {
        var page = await browser.NewPageAsync(server.BaseUrl);
        await LoginPage.LogInAsync(page, server.Reader.UserName, server.OtherPassword, "demo");

        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Hosts" })).ToHaveCountAsync(0);
        await page.GotoAsync("/admin/hosts");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Administrators only" })).ToBeVisibleAsync();
    }
}

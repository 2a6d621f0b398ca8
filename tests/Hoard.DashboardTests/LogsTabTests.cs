using Hoard.DashboardTests.Infrastructure;
using Hoard.IntegrationTests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Hoard.DashboardTests;

[Collection(DashboardCollection.Name)]
public sealed class LogsTabTests(HoardServerFixture server, BrowserFixture browser)
{
    [Fact]
    public async Task The_Logs_tab_lists_the_logs_publishes_the_error_log_and_shows_its_tail()
    {
        var shared = await server.GetSharedInstanceAsync();
        var page = await browser.NewPageAsync(server.BaseUrl);
        await LoginPage.LogInAsync(page, "admin", server.AdminPassword, "demo");
        await page.GotoAsync($"/instances/{shared.Id}");
        await page.GetByRole(AriaRole.Tab, new() { Name = "Logs" }).ClickAsync();

        var error = page.Locator("tr[data-log='error']");
        await Expect(page.Locator("tr[data-log='slow_query']")).ToContainTextAsync("USER");
        var publish = error.GetByRole(AriaRole.Button, new() { Name = "publish" });
        await Expect(publish).ToBeEnabledAsync();
        await publish.ClickAsync();

        await Expect(error.Locator(".status")).ToHaveTextAsync("Published");
        await Expect(page.Locator("#log-tail")).ToContainTextAsync("ready for connections");
        await Expect(page.GetByRole(AriaRole.Alert)).ToHaveCountAsync(0);
        await Screenshots.TakeAsync(page, "instance-logs");
    }
}

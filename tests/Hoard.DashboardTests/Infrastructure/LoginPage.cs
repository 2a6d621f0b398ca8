using Microsoft.Playwright;

namespace Hoard.DashboardTests.Infrastructure;

/// <summary>The dashboard's log-in form, as a user fills it.</summary>
internal static class LoginPage
{
    public static async Task FillAsync(IPage page, string user, string password, string project)
    {
        await page.GetByLabel("User name").FillAsync(user);
        await page.GetByLabel("Password").FillAsync(password);
        await page.GetByLabel("Project").FillAsync(project);
    }

    public static async Task LogInAsync(IPage page, string user, string password, string project)
    {
        await page.GotoAsync("/login");
        await FillAsync(page, user, password, project);
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        await page.WaitForURLAsync("**/instances");
    }
}

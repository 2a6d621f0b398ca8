using Microsoft.Playwright;

namespace Hoard.DashboardTests.Infrastructure;

/// <summary>With <c>HOARD_SCREENSHOTS=1</c>, the tests save the main pages as docs/screenshots/*.png, for the docs.</summary>
internal static class Screenshots
{
    private static readonly bool Enabled = Environment.GetEnvironmentVariable("HOARD_SCREENSHOTS") == "1";

    public static async Task TakeAsync(IPage page, string name)
    {
        if (!Enabled)
        {
            return;
        }

        var directory = Path.Combine(RepositoryRoot(), "docs", "screenshots");
        Directory.CreateDirectory(directory);
        await page.ScreenshotAsync(new() { Path = Path.Combine(directory, name + ".png"), FullPage = true });
    }

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Hoard.slnx")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException($"No Hoard.slnx above {AppContext.BaseDirectory}");
    }
}

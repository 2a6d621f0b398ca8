using Microsoft.Playwright;

namespace Hoard.DashboardTests.Infrastructure;

/// <summary>
/// Headless Chromium from Debian's package (<c>chromium</c>, installed by scripts/install-deps.sh), driven by Playwright's
/// bundled driver: nothing is downloaded. Each test gets its own browser context, so its own cookies.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    private const string Chromium = "/usr/bin/chromium";
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public async Task InitializeAsync()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: run scripts/install-deps.sh (Debian package chromium).");
        _playwright = await Playwright.CreateAsync();
        // Root cannot use Chromium's sandbox.
        _browser = await _playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Args = ["--no-sandbox"] });
    }

    public async Task<IPage> NewPageAsync(string baseUrl)
    {
        var context = await _browser!.NewContextAsync(new() { BaseURL = baseUrl, ViewportSize = new() { Width = 1280, Height = 800 } });
        return await context.NewPageAsync();
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
    }
}

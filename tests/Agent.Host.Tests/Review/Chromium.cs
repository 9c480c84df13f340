using Microsoft.Playwright;

namespace Agent.Host.Tests.Review;

/// <summary>
/// Debian's chromium, driven by Playwright for .NET and started by the tests themselves (Playwright's own browser
/// download cannot reach anything here). Screenshots go to <see cref="ArtefactsFolder"/> beside the test assembly.
/// </summary>
internal sealed class Chromium : IAsyncDisposable
{
    /// <summary>The browser the tests drive (AGENT_TEST_CHROMIUM overrides it).</summary>
    public static string ExecutablePath { get; } = Environment.GetEnvironmentVariable("AGENT_TEST_CHROMIUM") ?? "/usr/bin/chromium";

    /// <summary>Where screenshots and measurements are kept: <c>review-page-artefacts/</c> in the test output folder.</summary>
    public static string ArtefactsFolder { get; } = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "review-page-artefacts")).FullName;

    private readonly IPlaywright _playwright;

    private Chromium(IPlaywright playwright, IBrowser browser)
    {
        _playwright = playwright;
        Browser = browser;
    }

    public IBrowser Browser { get; }

    public static async Task<Chromium> StartAsync()
    {
        Assert.True(File.Exists(ExecutablePath), $"The review page tests drive Debian's chromium at {ExecutablePath}: install it with 'apt-get install chromium' (.ci/run does), or set AGENT_TEST_CHROMIUM.");
        var playwright = await Playwright.CreateAsync();
        try
        {
            // --no-sandbox: the tests run as root, where chromium's own sandbox refuses to start.
            var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = ExecutablePath, Headless = true, Args = ["--no-sandbox"] });
            return new Chromium(playwright, browser);
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }

    /// <summary>Saves a screenshot as an artefact: the whole page, or only the window (<paramref name="fullPage"/> false) for a very long one.</summary>
    public static Task ScreenshotAsync(IPage page, string name, bool fullPage = true) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ArtefactsFolder, name + ".png"), FullPage = fullPage });

    public async ValueTask DisposeAsync()
    {
        await Browser.DisposeAsync();
        _playwright.Dispose();
    }
}

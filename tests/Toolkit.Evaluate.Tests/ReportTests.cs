using Microsoft.Playwright;
using Toolkit.Core.Native;
using Toolkit.Evaluate.Judging;
using Toolkit.Evaluate.Report;
using Toolkit.Evaluate.Statistics;

namespace Toolkit.Evaluate.Tests;

/// <summary>The HTML report opened in headless Debian chromium (Microsoft.Playwright, no downloaded browser): what a person sees.</summary>
public sealed class ReportTests(ITestOutputHelper output)
{
    static List<PairJudgment> Rows(string cand, double pWin, int seed)
    {
        var rng = new Random(seed);
        string[] cats = ["math", "writing", "coding"];
        var rows = new List<PairJudgment>();
        for (var q = 0; q < 30; q++)
        {
            var u = rng.NextDouble();
            var w = u < pWin ? Winner.Model1 : u < pWin + 0.25 ? Winner.Model2 : Winner.Tie;
            var g2 = q % 7 == 3 ? Winner.Model2 : q == 11 ? Winner.Error : w;   // some inconsistent games and one judge error
            rows.Add(new PairJudgment(q.ToString(), cats[q % 3], 1, cand, "sft", w, g2, "judge-x", "pair-v2", "", $"Assistant A explains <b>{q}</b> well. [[A]]", "", "",
                100 + rng.Next(50), 100, 0));
        }
        return rows;
    }

    [Fact]
    public async Task ReportShowsTheWinRatesChartsRatingsAndSampleJudgmentsInHeadlessChromium()
    {
        Assert.True(File.Exists("/usr/bin/chromium"), "Debian's chromium is missing: make test installs it (apt-get install chromium)");
        using var dir = new TempDir();
        var dpo = Rows("dpo", 0.6, 1);
        var simpo = Rows("simpo", 0.4, 2);
        var path = dir.File("report.html");
        HtmlReport.Write(path, [new HtmlReport.Pair("dpo vs sft", dpo), new HtmlReport.Pair("simpo vs sft", simpo)]);
        var html = File.ReadAllText(path);
        Assert.DoesNotContain("<script", html);
        Assert.DoesNotContain("http://", html.Replace("http://www.w3.org", ""));   // offline: no fetched resources

        using var pw = await Playwright.CreateAsync();
        await using var browser = await pw.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium", Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1200, Height = 900 } });
        await page.GotoAsync(new Uri(path).AbsoluteUri);

        Assert.Equal("Evaluation report", await page.TitleAsync());
        // The summary a person reads: one row per pair with the W / L / T the statistics give.
        var summary = await page.Locator("#summary tr").AllInnerTextsAsync();
        Assert.Equal(3, summary.Count);
        var wlt = WinRates.Count(dpo);
        Assert.Contains($"{wlt.Wins} / {wlt.Losses} / {wlt.Ties}", summary[1]);
        Assert.Contains(WinRates.Bootstrap(dpo).Estimate.ToString("F3", System.Globalization.CultureInfo.InvariantCulture), summary[1]);
        Assert.Contains("simpo vs sft", summary[2]);

        // Charts: win rates, one category chart per pair, ratings, judge — each drawn at a visible size.
        var figures = page.Locator("figure svg");
        Assert.Equal(5, await figures.CountAsync());
        for (var i = 0; i < 5; i++)
        {
            var box = await figures.Nth(i).BoundingBoxAsync();
            Assert.NotNull(box);
            Assert.True(box.Width > 300 && box.Height > 200, $"chart {i} is {box.Width}×{box.Height}");
            Assert.True(await figures.Nth(i).Locator("path, rect, line, polyline").CountAsync() > 5, $"chart {i} draws nothing");
        }
        Assert.Contains("Bradley–Terry", await page.Locator("figure.chart-ratings figcaption").InnerTextAsync());

        // Ratings: three models, best first, in the order the Bradley–Terry fit gives.
        var ratings = await page.Locator("#ratings tr td:first-child").AllInnerTextsAsync();
        var fit = BradleyTerry.Fit(dpo.Concat(simpo).ToList(), anchor: "sft");
        Assert.Equal(fit.OrderByDescending(kv => kv.Value).Select(kv => kv.Key), ratings);

        // Sample judgments show the judge's words as text (escaped, not markup).
        var sample = await page.Locator("#samples pre").First.InnerTextAsync();
        Assert.Matches(@"Assistant A explains <b>\d+</b> well\. \[\[A\]\]", sample);

        var root = NativeLibraries.RepoRoot() ?? dir.Path;
        var shot = Path.Combine(root, "build", "test-artifacts", "evaluate-report.png");
        Directory.CreateDirectory(Path.GetDirectoryName(shot)!);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = shot, FullPage = true });
        Assert.True(new FileInfo(shot).Length > 20_000, "the screenshot is nearly empty");
        output.WriteLine($"screenshot: {shot} ({new FileInfo(shot).Length} bytes)");
    }
}

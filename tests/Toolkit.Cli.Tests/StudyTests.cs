using System.Diagnostics;
using System.Text.Json;
using Microsoft.Playwright;
using Toolkit.Cli.Experiment;
using Toolkit.Core.Native;

namespace Toolkit.Cli.Tests;

/// <summary>
/// A two-run mini study (SFT + one DPO run, tiny settings, one int8 variant) through the real `toolkit experiment run`
/// in a child process: end to end with every report section; a changed β reruns that run and what depends on it only;
/// a kill in the middle resumes. Tests run one at a time (they share the 2 cores and the build).
/// </summary>
[Collection("study")]
public sealed class StudyTests(ITestOutputHelper output)
{
    static string Study(double beta) => $$$"""
        name: mini
        seed: 3
        data: {heldout_questions: 8, sft_rows: 200, pair_rows: 200}
        base:
          preset: tiny
          vocab_size: 400
          options: {learning_rate: 2e-3, max_steps: 4, per_device_train_batch_size: 8, eval_steps: 0, save_steps: 2, validation_split: 0}
        runs:
          - {name: dpo, method: dpo, beta: {{{beta.ToString(System.Globalization.CultureInfo.InvariantCulture)}}}, options: {learning_rate: 1e-4, max_steps: 4, per_device_train_batch_size: 4, eval_steps: 0, save_steps: 1, validation_split: 0}}
        quantize:
          - {name: int8, bits: 8, granularity: channel}
        answers: {max_new_tokens: 6}
        judges: {distilled: false}
        gate: {bootstrap: 200}
        """;

    static string Cli()
    {
        var dll = Path.Combine(NativeLibraries.RepoRoot() ?? "", "cli/bin/Release/net10.0/toolkit.dll");
        return File.Exists(dll) ? dll : throw new InvalidOperationException("toolkit.dll not found. HINT: dotnet build cli -c Release");
    }

    static Process Start(string yaml, string runs)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = NativeLibraries.RepoRoot() ?? "." };
        foreach (var a in new[] { Cli(), "experiment", "run", yaml, "--runs", runs }) psi.ArgumentList.Add(a);
        psi.Environment["NO_COLOR"] = "1";
        return Process.Start(psi)!;
    }

    (int Code, string Text) Run(string yaml, string runs)
    {
        using var p = Start(yaml, runs);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(900_000)) { p.Kill(true); throw new TimeoutException("the mini study did not finish in 15 minutes"); }
        var text = stdout.Result + stderr.Result;
        if (p.ExitCode != 0) output.WriteLine(text);
        return (p.ExitCode, text);
    }

    static Dictionary<string, StageManifest> Manifests(string exp) =>
        Directory.GetFiles(Path.Combine(exp, "stages"), "*.json").Select(f => JsonSerializer.Deserialize<StageManifest>(File.ReadAllText(f))!).ToDictionary(m => m.Id);

    static string Temp(string name)
    {
        var root = Path.Combine(NativeLibraries.RepoRoot() ?? Path.GetTempPath(), "build", "test-studies", name);
        if (Directory.Exists(root)) Directory.Delete(root, true);
        return Directory.CreateDirectory(root).FullName;
    }

    [Fact]
    public async Task A_mini_study_runs_end_to_end_and_a_changed_beta_reruns_only_that_run_and_what_depends_on_it()
    {
        var dir = Temp("beta");
        var yaml = Path.Combine(dir, "mini.yaml");
        File.WriteAllText(yaml, Study(0.1));
        var first = Run(yaml, Path.Combine(dir, "runs"));
        Assert.True(first.Code == 0, first.Text);
        var exp = Path.Combine(dir, "runs", "mini");
        var before = Manifests(exp);
        string[] all = ["data", "tokenizer", "sft", "train.dpo", "export.sft", "answers.sft", "export.dpo", "answers.dpo", "judge.dpo", "quantize.int8", "answers.dpo+int8", "judge.dpo+int8", "quantize-report", "gate"];
        Assert.Equal(all.Order(), before.Keys.Order());
        Assert.Contains("this invocation", first.Text);   // the stage table with wall times
        var md = File.ReadAllText(Path.Combine(exp, "report.md"));
        Assert.Matches(@"\| dpo \| dpo \| 0\.1 \| \d+ / \d+ / \d+ \| 0\.\d{3} \[0\.\d{3}, [01]\.\d{3}\]", md);   // win rate vs SFT with its interval
        Assert.Matches(@"\*\*Verdict: (PASS|FAIL|INCONCLUSIVE)\*\*", md);

        // a second run with nothing changed: every stage cached
        var again = Run(yaml, Path.Combine(dir, "runs"));
        Assert.True(again.Code == 0, again.Text);
        Assert.Equal(before.Values.Select(m => m.FinishedUtc).Order(), Manifests(exp).Values.Select(m => m.FinishedUtc).Order());

        // β 0.1 → 0.2: the DPO run and everything downstream of it rerun; data, tokenizer, SFT and SFT's answers do not
        File.WriteAllText(yaml, Study(0.2));
        var third = Run(yaml, Path.Combine(dir, "runs"));
        Assert.True(third.Code == 0, third.Text);
        var after = Manifests(exp);
        string[] kept = ["data", "tokenizer", "sft", "export.sft", "answers.sft"];
        foreach (var id in kept) Assert.True(before[id].FinishedUtc == after[id].FinishedUtc, $"{id} reran although it does not depend on β");
        foreach (var id in all.Except(kept)) Assert.True(before[id].FinishedUtc != after[id].FinishedUtc && before[id].Hash != after[id].Hash, $"{id} did not rerun after β changed");
        Assert.Equal("0.2", after["train.dpo"].Options["beta"]);

        await ReportRendersEverySection(Path.Combine(exp, "report.html"));
    }

    async Task ReportRendersEverySection(string path)
    {
        Assert.True(File.Exists("/usr/bin/chromium"), "Debian's chromium is missing: make test installs it (apt-get install chromium)");
        var html = File.ReadAllText(path);
        Assert.DoesNotContain("<script", html);
        Assert.DoesNotContain("http://", html.Replace("http://www.w3.org", ""));   // offline: nothing fetched
        using var pw = await Playwright.CreateAsync();
        await using var browser = await pw.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium", Headless = true,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1300, Height = 1000 } });
        await page.GotoAsync(new Uri(path).AbsoluteUri);
        Assert.Equal("Experiment report: mini", await page.TitleAsync());
        foreach (var id in StudyReport.Sections)
        {
            var section = page.Locator($"section#{id}");
            Assert.Equal(1, await section.CountAsync());
            Assert.True(await section.Locator("tr, pre, p").CountAsync() >= 2, $"section {id} shows no data");
        }
        Assert.Matches(@"^(PASS|FAIL|INCONCLUSIVE)$", await page.Locator("#verdict b").First.InnerTextAsync());
        var rows = await page.Locator("#outcomes-table tr").AllInnerTextsAsync();
        Assert.Equal(4, rows.Count);   // header, sft, dpo, dpo+int8
        Assert.Contains("dpo+int8", rows[3]);
        Assert.Equal(3, await page.Locator("#quant-table tr").CountAsync());   // header, reference, int8
        Assert.Contains("rule", await page.Locator("#judges-table").InnerTextAsync());
        Assert.Contains("MISSING", await page.Locator("#judges .missing").InnerTextAsync());   // distilled: false is said loudly
        Assert.Contains("TorchSharp", await page.Locator("#versions").InnerTextAsync());
        // every chart drawn at a visible size, with marks in it: training curves and bars, outcomes, quantization
        foreach (var id in new[] { "training", "outcomes", "quantization" })
        {
            var charts = page.Locator($"section#{id} figure svg");
            Assert.True(await charts.CountAsync() >= 2, $"section {id} has fewer than two charts");
            for (var i = 0; i < await charts.CountAsync(); i++)
            {
                var box = await charts.Nth(i).BoundingBoxAsync();
                Assert.True(box is { Width: > 300, Height: > 200 }, $"{id} chart {i} is {box?.Width}×{box?.Height}");
                Assert.True(await charts.Nth(i).Locator("path, rect, line, polyline").CountAsync() > 5, $"{id} chart {i} draws nothing");
            }
        }
        var shot = Path.Combine(Path.GetDirectoryName(path)!, "report.png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = shot, FullPage = true });
        Assert.True(new FileInfo(shot).Length > 20_000);
        output.WriteLine($"screenshot: {shot}");
    }

    [Fact]
    public void A_study_killed_mid_training_resumes_and_redoes_nothing_that_was_finished()
    {
        var dir = Temp("kill");
        var yaml = Path.Combine(dir, "mini.yaml");
        File.WriteAllText(yaml, Study(0.1));
        var runs = Path.Combine(dir, "runs");
        var exp = Path.Combine(runs, "mini");
        var checkpointSeen = false;
        using (var p = Start(yaml, runs))
        {
            _ = p.StandardOutput.ReadToEndAsync();
            _ = p.StandardError.ReadToEndAsync();
            var clock = Stopwatch.StartNew();
            while (!p.HasExited && clock.Elapsed < TimeSpan.FromMinutes(10))
            {
                // kill once the DPO run has written a checkpoint (or, if it was too quick to catch, once it is done)
                checkpointSeen = Directory.Exists(Path.Combine(exp, "train")) &&
                    Directory.GetDirectories(Path.Combine(exp, "train"), "dpo.partial-*").Any(d => Directory.GetDirectories(d, "checkpoint-*").Any(c => !c.EndsWith(".tmp", StringComparison.Ordinal)));
                if (checkpointSeen || File.Exists(Path.Combine(exp, "stages", "train.dpo.json"))) break;
                Thread.Sleep(50);
            }
            Assert.False(p.HasExited, "the study finished before it could be killed");
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
        }
        var killed = Manifests(exp);
        Assert.Contains("sft", killed.Keys);
        Assert.False(File.Exists(Path.Combine(exp, "report.html")));

        var rerun = Run(yaml, runs);
        Assert.True(rerun.Code == 0, rerun.Text);
        var done = Manifests(exp);
        foreach (var (id, m) in killed) Assert.True(done[id].FinishedUtc == m.FinishedUtc, $"{id} was finished before the kill but ran again");
        Assert.Contains("sft: cached", rerun.Text);
        if (checkpointSeen && !killed.ContainsKey("train.dpo")) Assert.Contains("resuming from the newest checkpoint", rerun.Text);
        Assert.True(File.Exists(Path.Combine(exp, "report.html")));
        Assert.Empty(Directory.GetDirectories(exp, "*.partial-*", SearchOption.AllDirectories));
    }
}

/// <summary>The study tests run one at a time.</summary>
[CollectionDefinition("study", DisableParallelization = true)]
public sealed class StudyCollection;

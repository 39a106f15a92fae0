using System.Diagnostics;
using System.Text.Json.Nodes;
using Toolkit.Core.Native;

namespace Toolkit.Train.Tests.Training;

/// <summary>
/// The real `toolkit` as a pipeline sees it: data on stdout, errors on stderr without ANSI colour when redirected,
/// documented exit codes, and output paths refused before any work with a message naming the option.
/// </summary>
public sealed class CliStreamsTests
{
    static string Cli()
    {
        if (Environment.GetEnvironmentVariable("TOOLKIT_CLI") is { Length: > 0 } env) return env;
        var dll = Path.Combine(NativeLibraries.RepoRoot() ?? "", "cli/bin/Release/net10.0/toolkit.dll");
        return File.Exists(dll) ? dll : throw new InvalidOperationException("toolkit.dll not found. HINT: dotnet build cli -c Release, or set TOOLKIT_CLI");
    }

    static (int Code, string Stdout, string Stderr) Run(string? stdin, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        psi.ArgumentList.Add(Cli());
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["TERM"] = "xterm-256color";   // a colour terminal type, yet the streams are pipes: still no colour
        psi.Environment.Remove("NO_COLOR");
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (stdin is not null) p.StandardInput.Write(stdin);
        p.StandardInput.Close();
        if (!p.WaitForExit(120_000)) { p.Kill(true); throw new TimeoutException($"toolkit {string.Join(' ', args)} did not finish"); }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    static void AssertPlainError((int Code, string Stdout, string Stderr) r, int code, string contains)
    {
        Assert.True(r.Code == code, $"exit {r.Code}, stderr: {r.Stderr}");
        Assert.Equal("", r.Stdout);
        Assert.Contains(contains, r.Stderr);
        Assert.DoesNotContain('\u001b', r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);   // no stack trace
    }

    [Fact]
    public void A_template_that_recurses_for_ever_is_one_error_line_on_stderr_naming_the_file()
    {
        var dir = Directory.CreateTempSubdirectory("tk-cli-tpl-").FullName;
        File.Copy(Path.Combine(TrainKit.TokenizerDir, "tokenizer.json"), Path.Combine(dir, "tokenizer.json"));   // a real folder: the template is the hostile part
        var config = Path.Combine(dir, "tokenizer_config.json");
        File.WriteAllText(config, new JsonObject { ["chat_template"] = "{% macro f(n) %}{{ f(n+1) }}{% endmacro %}{{ f(0) }}" }.ToJsonString());
        var r = Run("""[{"role": "user", "content": "hi"}]""", "template", "--tokenizer", dir);
        AssertPlainError(r, 1, $"{config}: field 'chat_template': ");
        Assert.Contains("template line 1:", r.Stderr);
        Assert.True(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length <= 2, r.Stderr);
    }

    [Fact]
    public void Errors_go_to_stderr_and_data_to_stdout()
    {
        var tok = TrainKit.TokenizerDir;
        var ok = Run("hello\n", "tokenize", "--tokenizer", tok);
        Assert.Equal(0, ok.Code);
        Assert.StartsWith("[", ok.Stdout);
        Assert.Equal("", ok.Stderr);
        AssertPlainError(Run("", "tokenize", "--tokenizer", Path.Combine(tok, "missing")), 1, "error:");
    }

    [Fact]
    public void A_bad_command_line_exits_2_and_help_lists_the_exit_codes()
    {
        AssertPlainError(Run(null, "tokenize", "--no-such-option"), 2, "--no-such-option");
        var help = Run(null, "--help");
        Assert.Equal(0, help.Code);
        Assert.Contains("Exit codes: 0 success; 1 failure", help.Stdout);
    }

    [Fact]
    public void Output_paths_are_refused_before_any_work_naming_the_option()
    {
        var dir = Directory.CreateTempSubdirectory("tk-cli-out-").FullName;
        var file = Path.Combine(dir, "a-file");
        File.WriteAllText(file, "x");
        AssertPlainError(Run(null, "init-model", "--preset", "tiny", "--out", file), 1, $"--out '{file}' is an existing file");
        AssertPlainError(Run(null, "init-model", "--preset", "tiny", "--out", "/proc/x"), 1, "--out '/proc/x': cannot write");
        AssertPlainError(Run(null, "generate", "--model", TrainKit.ModelDir, "--prompt", "hi", "--out", dir), 1, $"--out '{dir}' is a folder");
        Assert.Empty(Directory.GetFiles(dir, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public void Generate_reads_prompts_from_stdin_one_per_line_when_neither_prompt_option_is_given()
    {
        var onnx = Path.Combine(Directory.CreateTempSubdirectory("tk-cli-stdin-").FullName, "onnx");
        var export = Run(null, "export", "--model", TrainKit.ModelDir, "--out", onnx);
        Assert.True(export.Code == 0, export.Stderr);
        var r = Run("Which is larger, 9 or 21?\n一天有多少小时？\n", "generate", "--model", onnx, "--max-new-tokens", "2");
        Assert.True(r.Code == 0, r.Stderr);
        var prompts = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!["prompt"]!.GetValue<string>()).ToArray();
        Assert.Equal(["Which is larger, 9 or 21?", "一天有多少小时？"], prompts);
    }
}

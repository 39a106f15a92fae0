using System.Text.Json.Nodes;
using Toolkit.Core.Tokenizers;
using Xunit.Abstractions;

namespace Toolkit.Core.Tests.Tokenizers;

/// <summary>
/// The Llama-2 / Mistral layout — a Metaspace pre-tokenizer (prepend_scheme "first") and a decoder ending in
/// Strip(" ", 1, 0) — which none of the oracle packages ships: built here from gemma3's vocabulary and merges, then
/// compared id for id and decode for decode with @huggingface/transformers. <c>split</c> is false because
/// transformers.js does not implement Metaspace splitting (the Rust crate does; ours follows the Rust crate).
/// </summary>
[Trait("Category", "Oracle")]
public sealed class MetaspaceStyleTests(ITestOutputHelper output) : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("tok-metaspace-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Metaspace_and_strip_decoder_match_the_oracle()
    {
        var gemma = TokenizerOracle.ModelFolder("gemma3");
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(gemma, "tokenizer.json")))!;
        json["normalizer"] = null;
        json["pre_tokenizer"] = JsonNode.Parse("""{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": false}""");
        json["decoder"] = JsonNode.Parse("""
            {"type": "Sequence", "decoders": [
              {"type": "Replace", "pattern": {"String": "▁"}, "content": " "},
              {"type": "ByteFallback"}, {"type": "Fuse"},
              {"type": "Strip", "content": " ", "start": 1, "stop": 0}]}
            """);
        File.WriteAllText(Path.Combine(_dir, "tokenizer.json"), json.ToJsonString());
        File.Copy(Path.Combine(gemma, "tokenizer_config.json"), Path.Combine(_dir, "tokenizer_config.json"));

        var tok = Tokenizer.FromFolder(_dir);
        var oracle = TokenizerOracle.Run(_dir);
        var corpus = TokenizerOracle.Corpus();
        int same = 0, sameDecode = 0;
        string? firstBad = null;
        for (var i = 0; i < corpus.Length; i++)
        {
            var ids = tok.Encode(corpus[i]);
            if (ids.SequenceEqual(oracle.Lines[i].Ids)) same++;
            else firstBad ??= $"line {i + 1} {TokenizerOracle.Show(corpus[i])}: ours [{string.Join(",", ids)}] oracle [{string.Join(",", oracle.Lines[i].Ids)}]";
            var d = oracle.Lines[i].Ids.Length == 0 ? "" : tok.Decode(oracle.Lines[i].Ids);
            if (d == oracle.Lines[i].Decoded) sameDecode++;
            else firstBad ??= $"decode line {i + 1}: ours {TokenizerOracle.Show(d)} oracle {TokenizerOracle.Show(oracle.Lines[i].Decoded)}";
        }
        output.WriteLine($"metaspace (gemma3 vocabulary): {same}/{corpus.Length} lines identical, decode {sameDecode}/{corpus.Length}");
        Assert.True(same == corpus.Length && sameDecode == corpus.Length, firstBad);
    }
}

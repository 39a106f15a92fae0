using System.Text;
using Xunit.Abstractions;

namespace Toolkit.Core.Tests.Tokenizers;

/// <summary>decode(encode(x)) == x for the byte-level tokenizers, and streaming decode (one id at a time) on every corpus line.</summary>
[Trait("Category", "Oracle")]
public sealed class RoundTripAndStreamingTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("qwen3")]
    [InlineData("llama3")]
    public void Byte_level_decode_of_encode_gives_the_text_back(string model)
    {
        var tok = TokenizerOracle.Model(model);
        var corpus = TokenizerOracle.Corpus();
        var same = 0;
        string? firstBad = null;
        foreach (var line in corpus)
        {
            // Qwen's normalizer is NFC: what comes back is the NFC form (the corpus holds decomposed accents on purpose).
            var expected = tok.Normalize(line);
            // the default decode: Llama-3's config sets clean_up_tokenization_spaces, which byte-level decoding ignores (exact)
            var back = tok.Decode(tok.Encode(line, addSpecialTokens: false));
            if (back == expected) same++; else firstBad ??= $"{TokenizerOracle.Show(line)} came back as {TokenizerOracle.Show(back)}";
        }
        output.WriteLine($"{model}: round trip {same}/{corpus.Length} lines identical");
        Assert.True(same == corpus.Length, firstBad);
    }

    [Theory]
    [InlineData("qwen3")]
    [InlineData("llama3")]
    [InlineData("gemma3")]
    public void Streaming_decode_concatenates_to_the_full_decode_and_never_yields_a_replacement_character(string model)
    {
        var tok = TokenizerOracle.Model(model);
        var corpus = TokenizerOracle.Corpus();
        int same = 0, heldBack = 0;
        string? firstBad = null;
        foreach (var skip in new[] { false, true })
            foreach (var line in corpus)
            {
                var ids = tok.Encode(line);
                var stream = tok.CreateStream(skipSpecialTokens: skip);
                var sb = new StringBuilder();
                foreach (var id in ids)
                {
                    var piece = stream.Step(id);
                    if (piece.Contains('\uFFFD')) firstBad ??= $"step yielded U+FFFD on {TokenizerOracle.Show(line)}";
                    // an id that decodes to text of its own but returns nothing: held back mid-character
                    if (piece.Length == 0 && tok.Decode([id], skip, false).Contains('\uFFFD')) heldBack++;
                    sb.Append(piece);
                }
                sb.Append(stream.Flush());
                var full = tok.Decode(ids, skip, cleanUpTokenizationSpaces: false);
                if (sb.ToString() == full) same++;
                else firstBad ??= $"{TokenizerOracle.Show(line)} (skip={skip}): stream {TokenizerOracle.Show(sb.ToString())} full {TokenizerOracle.Show(full)}";
            }
        output.WriteLine($"{model}: streaming {same}/{2 * corpus.Length} decodes identical to the full decode; {heldBack} steps held back a partial character");
        Assert.True(same == 2 * corpus.Length && firstBad == null, firstBad);
        Assert.True(heldBack > 0, "the corpus never split a character across ids, so the test proved nothing about partial characters");
    }

    /// <summary>The texts the clean-up used to rewrite (Llama-3: "x != y" → "x!= y", "hello !" → "hello!").</summary>
    static readonly string[] Spacing = ["the word 'social' is here", "x != y", "hello !", "I 'm sure , isn't it ?", "a . b , c ' d", "don 't"];

    [Theory]
    [InlineData("qwen3")]
    [InlineData("llama3")]
    [InlineData("gemma3")]
    public void Decode_is_exact_on_every_test_tokenizer_and_agrees_with_streaming(string model)
    {
        var tok = TokenizerOracle.Model(model);
        Assert.False(tok.CleansUpSpaces);                                   // none of these BPE tokenizers rewrites spaces
        var lines = TokenizerOracle.Corpus().Concat(Spacing).ToArray();
        int same = 0, streamSame = 0;
        string? firstBad = null;
        foreach (var line in lines)
        {
            // Qwen's NFC normalizer changes the decomposed accents of the corpus; Gemma's maps " " to "▁" and back, so a
            // literal "▁" in the text comes back as a space (as in transformers)
            var expected = model == "gemma3" ? line.Replace('▁', ' ') : tok.Normalize(line);
            var ids = tok.Encode(line, addSpecialTokens: false);
            var back = tok.Decode(ids);                                      // the library default = `tokenize --decode`
            if (back == expected) same++; else firstBad ??= $"{TokenizerOracle.Show(line)} came back as {TokenizerOracle.Show(back)}";
            var stream = tok.CreateStream();                                 // what generation prints
            var sb = new StringBuilder();
            foreach (var id in ids) sb.Append(stream.Step(id));
            sb.Append(stream.Flush());
            if (sb.ToString() == back) streamSame++; else firstBad ??= $"stream {TokenizerOracle.Show(sb.ToString())} vs decode {TokenizerOracle.Show(back)}";
        }
        output.WriteLine($"{model}: decode(encode(x)) == x on {same}/{lines.Length} lines; streaming == decode on {streamSame}/{lines.Length}");
        Assert.True(same == lines.Length && streamSame == lines.Length, firstBad);
    }
}

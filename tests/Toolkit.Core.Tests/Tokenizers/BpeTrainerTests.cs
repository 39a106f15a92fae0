using Toolkit.Core.Tokenizers;
using Xunit.Abstractions;

namespace Toolkit.Core.Tests.Tokenizers;

/// <summary>The BPE trainer: deterministic files, loadable by @huggingface/transformers with the same ids as our reader.</summary>
public sealed class BpeTrainerTests(ITestOutputHelper output) : IDisposable
{
    static readonly string[] Specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"];
    readonly string _dir = Path.Combine(Path.GetTempPath(), "tok-trainer-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void Training_twice_on_the_same_corpus_writes_identical_files()
    {
        var corpus = TokenizerOracle.Corpus();
        var a = BpeTrainer.Train(corpus, 1500, Specials);
        var b = BpeTrainer.Train(corpus.Reverse(), 1500, Specials); // order of lines must not matter either
        a.Save(Path.Combine(_dir, "a"));
        b.Save(Path.Combine(_dir, "b"));
        foreach (var f in new[] { "tokenizer.json", "tokenizer_config.json" })
            Assert.Equal(File.ReadAllBytes(Path.Combine(_dir, "a", f)), File.ReadAllBytes(Path.Combine(_dir, "b", f)));
        Assert.Empty(Directory.GetFiles(Path.Combine(_dir, "a"), "*.tmp"));
        Assert.Equal(1500, a.VocabSize);
    }

    [Fact]
    public void Trained_tokenizer_compresses_and_round_trips_with_our_reader()
    {
        var corpus = TokenizerOracle.Corpus();
        var trained = BpeTrainer.Train(corpus, 2000, Specials);
        output.WriteLine(trained.ToString());
        Assert.Equal(2000, trained.VocabSize);
        trained.Save(_dir);
        var tok = Tokenizer.FromFolder(_dir);
        Assert.Equal(trained.VocabSize, tok.VocabSize);
        Assert.Equal("<|im_end|>", tok.EosToken);
        Assert.Equal(tok.VocabSize - 1, tok.EosId);
        long bytes = 0, tokens = 0;
        foreach (var line in corpus)
        {
            var ids = tok.Encode(line);
            Assert.Equal(tok.Normalize(line), tok.Decode(ids));
            bytes += System.Text.Encoding.UTF8.GetByteCount(line);
            tokens += ids.Length;
        }
        output.WriteLine($"trained 2000-token vocabulary: {bytes} bytes → {tokens} tokens ({(double)bytes / tokens:F2} bytes/token)");
        Assert.True(tokens * 2 < bytes, $"{tokens} tokens for {bytes} bytes: the merges learned almost nothing");
        // special tokens written in the text are single ids and never took part in merges
        Assert.Equal([tok.TokenToId("<|im_start|>")!.Value], tok.Encode("<|im_start|>"));
        Assert.DoesNotContain(trained.Tokens, t => t.Contains("<|im"));
    }

    [Fact]
    [Trait("Category", "Oracle")]
    public void Trained_tokenizer_gives_the_same_ids_in_transformers_js_as_in_our_reader()
    {
        var trained = BpeTrainer.Train(TokenizerOracle.Corpus(), 3000, Specials);
        trained.Save(_dir);
        var tok = Tokenizer.FromFolder(_dir);
        var oracle = TokenizerOracle.Run(_dir);
        var corpus = TokenizerOracle.Corpus();
        var same = 0;
        string? firstBad = null;
        for (var i = 0; i < corpus.Length; i++)
        {
            var ids = tok.Encode(corpus[i]);
            if (ids.SequenceEqual(oracle.Lines[i].Ids)) same++;
            else firstBad ??= $"line {i + 1} {TokenizerOracle.Show(corpus[i])}: ours [{string.Join(",", ids)}] oracle [{string.Join(",", oracle.Lines[i].Ids)}]";
        }
        Assert.Equal(3000, tok.VocabSize);
        output.WriteLine($"trained ({trained.VocabSize} ids): {same}/{corpus.Length} lines identical to @huggingface/transformers");
        Assert.True(same == corpus.Length, firstBad);
        Assert.True(tok.Encode(string.Join("\n", corpus)).SequenceEqual(oracle.Whole));
    }

    [Fact]
    public void Training_stops_when_no_pair_is_frequent_enough()
    {
        // "abab abab": pairs a-b (4), b-a (2), Ġ-a (1) ... with minFrequency 2 only a handful of merges exist
        var trained = BpeTrainer.Train(["abab abab"], 1000, Specials, minFrequency: 2);
        Assert.True(trained.VocabSize < 1000);
        Assert.Equal(("a", "b"), trained.Merges[0]);
    }

    [Fact]
    public void Saving_over_an_old_tokenizer_replaces_both_files_and_removes_a_killed_saves_temporary_file()
    {
        BpeTrainer.Train(["abab abab"], 300, Specials).Save(_dir);
        var killed = Path.Combine(_dir, $".tokenizer.json.{int.MaxValue - 7}.{Guid.NewGuid():N}.tmp");   // a save killed by SIGKILL (no such process)
        File.WriteAllText(killed, "{\"version\":");
        var trained = BpeTrainer.Train(["abc abd abe"], 300, Specials);
        trained.Save(_dir);
        Assert.Equal(["tokenizer.json", "tokenizer_config.json"], Directory.GetFiles(_dir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        trained.Save(Path.Combine(_dir, "fresh"));
        foreach (var f in new[] { "tokenizer.json", "tokenizer_config.json" })                     // the new tokenizer, whole
            Assert.Equal(File.ReadAllBytes(Path.Combine(_dir, "fresh", f)), File.ReadAllBytes(Path.Combine(_dir, f)));
    }

    [Fact]
    public void Too_small_a_vocabulary_is_refused_with_the_minimum()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => BpeTrainer.Train(["abc"], 200, Specials));
        Assert.Contains("259", e.Message);
    }
}

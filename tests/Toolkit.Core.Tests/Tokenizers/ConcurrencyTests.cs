namespace Toolkit.Core.Tests.Tokenizers;

/// <summary>One tokenizer shared by many threads (a server) gives the same ids as one thread.</summary>
[Trait("Category", "Oracle")]
public sealed class ConcurrencyTests
{
    [Theory]
    [InlineData("qwen3")]
    [InlineData("gemma3")]
    public void Encoding_from_many_threads_gives_the_same_ids(string model)
    {
        var tok = TokenizerOracle.Model(model);
        var corpus = TokenizerOracle.Corpus().Select((l, i) => $"{i} {model} {l}").ToArray(); // lines the cache has not seen
        var parallel = new int[corpus.Length][];
        Parallel.For(0, corpus.Length * 4, new ParallelOptions { MaxDegreeOfParallelism = 8 },
            k => parallel[k % corpus.Length] = tok.Encode(corpus[k % corpus.Length]));
        for (var i = 0; i < corpus.Length; i++) Assert.Equal(tok.Encode(corpus[i]), parallel[i]);
    }
}

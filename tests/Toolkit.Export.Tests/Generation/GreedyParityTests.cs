using Toolkit.Runtime.Generation;
using Toolkit.Train.Model;
using TorchSharp;
using Xunit.Abstractions;

namespace Toolkit.Export.Tests.Generation;

/// <summary>
/// Greedy generation on ONNX Runtime (our engine over the exported folder) gives the same tokens as an argmax loop on
/// the libtorch decoder with its own KV cache; and a padded batch gives each prompt the tokens it gets alone.
/// </summary>
public sealed class GreedyParityTests(GenerationFixture f, ITestOutputHelper output) : IClassFixture<GenerationFixture>
{
    const int NewTokens = 24;

    /// <summary>The reference: prefill, then one token at a time through Decoder.Forward with a KvCache; first max wins ties.</summary>
    internal static List<int> TorchGreedy(Decoder model, int[] prompt, int newTokens, IReadOnlyList<int> eos)
    {
        var tokens = prompt.ToList();
        using var cache = new KvCache(model.Config.NumHiddenLayers);
        long[] input = prompt.Select(t => (long)t).ToArray();
        for (var step = 0; step < newTokens; step++)
        {
            using var scope = torch.NewDisposeScope();
            var logits = model.Forward(torch.tensor(input, [1, input.Length]), cache: cache).data<float>().ToArray();   // (1, T, V)
            var v = model.Config.VocabSize;
            var last = logits.AsSpan(logits.Length - v, v);
            var best = 0;
            for (var i = 1; i < v; i++) if (last[i] > last[best]) best = i;
            tokens.Add(best);
            if (eos.Contains(best)) break;
            input = [best];
        }
        return tokens;
    }

    [Fact]
    public void Twenty_prompts_are_token_identical_to_libtorch()
    {
        using var model = new Model(f.Folder, intraOpThreads: 2);
        var prompts = GenerationFixture.Prompts(20, seed: 3);
        var same = 0;
        foreach (var prompt in prompts)
        {
            var expected = TorchGreedy(f.Torch, prompt, NewTokens, model.EosTokenIds);
            var p = new GeneratorParams(model);
            p.SetSearchOption("max_length", prompt.Length + NewTokens);
            using var generator = new Generator(model, p);
            generator.AppendTokens(prompt);
            while (!generator.IsDone()) generator.GenerateNextToken();
            var got = generator.GetSequence(0).ToArray();
            Assert.Equal(expected, got);
            same++;
        }
        output.WriteLine($"{same}/{prompts.Length} prompts token-identical over up to {NewTokens} new tokens");
    }

    [Fact]
    public void A_padded_batch_gives_each_prompt_its_own_tokens()
    {
        using var model = new Model(f.Folder, intraOpThreads: 2);
        var prompts = GenerationFixture.Prompts(6, seed: 4);
        const int NewTokens = 10;

        // max_length counts from the longest prompt (ORT-GenAI right-pads: every row's tokens start after it)
        int[][] Run(int[][] batch)
        {
            var p = new GeneratorParams(model);
            p.SetSearchOption("max_length", batch.Max(q => q.Length) + NewTokens);
            using var g = new Generator(model, p);
            g.AppendTokenSequences(batch);
            while (!g.IsDone()) g.GenerateNextToken();
            return Enumerable.Range(0, batch.Length).Select(i => g.GetSequence(i).ToArray()).ToArray();
        }

        var together = Run(prompts);
        var alone = prompts.Select(q => Run([q])[0]).ToArray();
        output.WriteLine($"prompt lengths {string.Join(", ", prompts.Select(q => q.Length))}; {NewTokens} new tokens each");
        Assert.True(prompts.Select(q => q.Length).Distinct().Count() > 1, "the prompts must differ in length, or there is no padding to test");
        for (var i = 0; i < prompts.Length; i++) Assert.Equal(alone[i], together[i]);
        for (var i = 0; i < prompts.Length; i++) Assert.Equal(prompts[i].Length + NewTokens, together[i].Length);   // no EOS from this model here: every row ran its 10 tokens
    }

    [Fact]
    public void Continuing_a_conversation_in_the_same_cache_matches_a_fresh_prefill()
    {
        using var model = new Model(f.Folder, intraOpThreads: 2);
        var first = GenerationFixture.Prompts(1, seed: 8)[0];
        var second = GenerationFixture.Prompts(1, seed: 9)[0];
        var p = new GeneratorParams(model);
        p.SetSearchOption("max_length", 80);
        using var g = new Generator(model, p);
        g.AppendTokens(first);
        for (var i = 0; i < 5; i++) g.GenerateNextToken();
        g.AppendTokens(second);                                     // the 5th generated token is fed with these
        for (var i = 0; i < 6; i++) g.GenerateNextToken();
        var continued = g.GetSequence(0).ToArray();

        var history = continued[..(first.Length + 5 + second.Length)];
        var expected = TorchGreedy(f.Torch, history, 6, model.EosTokenIds);
        Assert.Equal(expected, continued);
    }
}

using Toolkit.Core.Onnx;
using Toolkit.Runtime.Generation;
using Xunit.Abstractions;

namespace Toolkit.Export.Tests.Generation;

/// <summary>Seeds, top-k = 1, EOS lists, min_length, max_length, stop strings and bad options, on the exported tiny model.</summary>
public sealed class SamplingAndStoppingTests(GenerationFixture f, ITestOutputHelper output) : IClassFixture<GenerationFixture>
{
    static int[] Run(Model model, int[] prompt, Action<GeneratorParams> set, out FinishReason finish)
    {
        var p = new GeneratorParams(model);
        set(p);
        using var g = new Generator(model, p);
        g.AppendTokens(prompt);
        while (!g.IsDone()) g.GenerateNextToken();
        finish = g.GetFinishReason(0);
        return g.GetGeneratedTokens(0).ToArray();
    }

    static void Sampling(GeneratorParams p, long seed, int topK = 0, double topP = 0.9)
    {
        p.SetSearchOption("max_length", 40);
        p.SetSearchOption("do_sample", true);
        p.SetSearchOption("temperature", 1.5);
        p.SetSearchOption("top_k", topK);
        p.SetSearchOption("top_p", topP);
        p.SetSearchOption("random_seed", seed);
    }

    [Fact]
    public void The_same_seed_reproduces_a_sample_and_another_seed_does_not()
    {
        using var model = new Model(f.Folder, intraOpThreads: 2);
        var prompt = GenerationFixture.Prompts(1, seed: 11)[0];
        foreach (var (k, p) in new[] { (0, 0.9), (40, 0.0), (40, 0.8) })   // top-p alone, top-k alone, both
        {
            var a = Run(model, prompt, q => Sampling(q, 7, k, p), out _);
            var b = Run(model, prompt, q => Sampling(q, 7, k, p), out _);
            var c = Run(model, prompt, q => Sampling(q, 8, k, p), out _);
            var greedy = Run(model, prompt, q => q.SetSearchOption("max_length", 40), out _);
            output.WriteLine($"top_k {k} top_p {p}: seed 7 → [{string.Join(' ', a.Take(12))} ...], seed 8 → [{string.Join(' ', c.Take(12))} ...]");
            Assert.Equal(a, b);
            Assert.NotEqual(a, c);
            Assert.NotEqual(greedy, a);    // temperature 1.5 over a random model: sampling must leave the argmax path
        }
    }

    [Fact]
    public void Top_k_one_while_sampling_is_greedy()
    {
        using var model = new Model(f.Folder, intraOpThreads: 2);
        foreach (var prompt in GenerationFixture.Prompts(4, seed: 12))
        {
            var greedy = Run(model, prompt, q => q.SetSearchOption("max_length", 30), out _);
            var topOne = Run(model, prompt, q => { Sampling(q, 5, topK: 1, topP: 0); q.SetSearchOption("max_length", 30); }, out _);
            Assert.Equal(greedy, topOne);
        }
    }

    [Fact]
    public void Any_eos_id_of_the_list_ends_the_sequence_unless_min_length_holds_it_off()
    {
        using var plain = new Model(f.Folder, intraOpThreads: 2);
        var prompt = GenerationFixture.Prompts(1, seed: 13)[0];
        var greedy = Run(plain, prompt, q => q.SetSearchOption("max_length", prompt.Length + 20), out var why);
        Assert.Equal(FinishReason.Length, why);
        var stopAt = greedy[6];                                      // make the 7th greedy token an EOS id (second in the list)
        var first = Array.IndexOf(greedy, stopAt);
        var folder = f.CopyWith("eos", c => c with { EosTokenIds = [c.EosTokenIds[0], stopAt] });
        using var model = new Model(folder, intraOpThreads: 2);

        var ended = Run(model, prompt, q => q.SetSearchOption("max_length", prompt.Length + 20), out why);
        Assert.Equal(FinishReason.Eos, why);
        Assert.Equal(greedy[..(first + 1)], ended);                   // same path, stopped on the EOS (included)

        var held = Run(model, prompt, q => { q.SetSearchOption("max_length", prompt.Length + 20); q.SetSearchOption("min_length", prompt.Length + first + 2); }, out _);
        Assert.Equal(greedy[..first], held[..first]);
        Assert.NotEqual(stopAt, held[first]);                         // EOS was not allowed there
        Assert.True(held.Length > first + 1);
    }

    [Fact]
    public void A_stop_string_ends_the_text_before_it_and_streaming_matches()
    {
        using var model = new Model(f.Folder, intraOpThreads: 2);
        var search = new DecodingSettings { MaxLength = 60 };
        // a prompt whose greedy answer has some text (a random model may also answer with EOS at once)
        var (prompt, text) = new[] { "What is 2+2?", "Hello!", "The capital of France", "cat dog", "你好" }
            .Select(q => (q, model.Generate([q], new GenerationOptions { Search = search, ChatTemplate = false })[0].Text))
            .First(x => x.Text.Length >= 12);
        var stop = text.Substring(text.Length / 2, 3);
        var cut = text[..text.IndexOf(stop, StringComparison.Ordinal)];

        var pieces = new List<string>();
        var stopped = model.Generate([prompt], new GenerationOptions
        {
            Search = search with { StopStrings = [stop] }, ChatTemplate = false,
            OnText = (_, piece) => pieces.Add(piece),
        });
        output.WriteLine($"text '{text}', stop '{stop}' → '{stopped[0].Text}' in {pieces.Count} pieces");
        Assert.Equal(FinishReason.StopString, stopped[0].Finish);
        Assert.Equal(cut, stopped[0].Text);
        Assert.Equal(cut, string.Concat(pieces));
        Assert.DoesNotContain(pieces, p => p.Contains(stop, StringComparison.Ordinal));
    }

    [Fact]
    public void Bad_options_and_prompts_are_refused_with_the_option_named()
    {
        using var model = new Model(f.Folder, intraOpThreads: 2);
        var p = new GeneratorParams(model);
        var e = Assert.Throws<GenerationException>(() => p.SetSearchOption("top_kk", 3));
        Assert.Contains("top_kk", e.Message);
        p.SetSearchOption("max_length", model.ContextLength + 1);
        e = Assert.Throws<GenerationException>(() => new Generator(model, p));
        Assert.Contains("max_length", e.Message);
        p.SetSearchOption("max_length", 4);
        using var g = new Generator(model, p);
        e = Assert.Throws<GenerationException>(() => g.AppendTokens([1, 2, 3, 4, 5]));
        Assert.Contains("max_length 4", e.Message);
        var q = new GeneratorParams(model);
        q.SetSearchOption("num_beams", 4);
        e = Assert.Throws<GenerationException>(() => new Generator(model, q));
        Assert.Contains("num_beams", e.Message);
        using var h = new Generator(model, new GeneratorParams(model));
        e = Assert.Throws<GenerationException>(() => h.AppendTokens([1, 99999]));
        Assert.Contains("99999", e.Message);
    }

    [Fact]
    public void A_config_with_an_unknown_key_is_refused_naming_it()
    {
        var folder = f.CopyWith("badkey", c => c);
        var path = Path.Combine(folder, GenAiConfig.FileName);
        File.WriteAllText(path, File.ReadAllText(path).Replace("\"search\": {", "\"search\": {\"top_kk\": 3, "));
        var e = Assert.ThrowsAny<Exception>(() => new Model(folder));
        Assert.Contains("top_kk", e.Message);
    }
}

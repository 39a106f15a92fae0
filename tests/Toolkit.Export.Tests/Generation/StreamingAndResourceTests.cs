using System.Diagnostics;
using Toolkit.Runtime.Generation;
using Xunit.Abstractions;

namespace Toolkit.Export.Tests.Generation;

/// <summary>Streaming text, the chat template from the folder, and memory over many generations.</summary>
public sealed class StreamingAndResourceTests(GenerationFixture f, ITestOutputHelper output) : IClassFixture<GenerationFixture>
{
    [Fact]
    public void Streamed_text_equals_the_final_decode_and_never_adds_a_replacement_character()
    {
        using var model = new Model(f.Folder, intraOpThreads: 2);
        var tokenizer = new Tokenizer(model);
        var prompts = new[] { "What is 2+2?", "你好", "café €" };
        var pieces = prompts.Select(_ => new List<string>()).ToArray();
        var results = model.Generate(prompts, new GenerationOptions
        {
            Search = new DecodingSettings { MaxLength = 64 }, BatchSize = 3,
            OnText = (i, piece) => pieces[i].Add(piece),
        });
        for (var i = 0; i < prompts.Length; i++)
        {
            var generated = results[i].Tokens.Where(t => !model.EosTokenIds.Contains(t) && f.Tokenizer.IdToToken(t) is not null).ToArray();
            var decoded = f.Tokenizer.Decode(generated, skipSpecialTokens: true, cleanUpTokenizationSpaces: false);
            var streamed = string.Concat(pieces[i]);
            output.WriteLine($"{i}: {results[i].Tokens.Length} tokens in {pieces[i].Count} pieces, {results[i].Finish}: '{streamed}'");
            Assert.Equal(decoded, streamed);
            Assert.Equal(decoded, results[i].Text);
            Assert.Equal(decoded.Count(c => c == '\uFFFD'), streamed.Count(c => c == '\uFFFD'));   // only where the ids themselves are not UTF-8
        }

        // a text whose characters span several byte tokens streams whole characters only
        const string Text = "日本語のテキスト ☃ 𝄞 數學 ñandú €100";   // characters the tokenizer never merged: 2-4 byte tokens each
        var ids = tokenizer.Encode(Text);
        var stream = tokenizer.CreateStream();
        var parts = ids.Select(stream.Decode).ToList();
        parts.Add(stream.Flush());
        Assert.Contains("", parts.SkipLast(1));   // some token completed no character: characters did span tokens
        Assert.Equal(Text, string.Concat(parts));
        Assert.DoesNotContain(parts, p => p.Contains('\uFFFD'));
    }

    [Fact]
    public void The_folder_chat_template_wraps_prompts()
    {
        using var model = new Model(f.Folder, intraOpThreads: 2);
        var tokenizer = new Tokenizer(model);
        Assert.True(tokenizer.HasChatTemplate);
        var rendered = tokenizer.ApplyChatTemplate(null, """[{"role":"user","content":"Hello!"}]""", null, addGenerationPrompt: true);
        Assert.Equal("<|im_start|>user\nHello!<|im_end|>\n<|im_start|>assistant\n", rendered);
        var templated = model.Generate(["Hello!"], new GenerationOptions { Search = new DecodingSettings { MaxLength = 30 } });
        Assert.Equal(tokenizer.Encode(rendered).Length, templated[0].PromptTokens);
        var raw = model.Generate(["Hello!"], new GenerationOptions { Search = new DecodingSettings { MaxLength = 30 }, ChatTemplate = false });
        Assert.Equal(tokenizer.Encode("Hello!", addSpecialTokens: true).Length, raw[0].PromptTokens);
    }

    [Fact]
    public void A_thousand_generations_do_not_grow_memory()
    {
        using var model = new Model(f.Folder, intraOpThreads: 2);
        var prompts = GenerationFixture.Prompts(4, seed: 15);
        var n = 0;

        void Generate()
        {
            var p = new GeneratorParams(model);
            p.Apply(new DecodingSettings { MaxNewTokens = 4 });
            using var g = new Generator(model, p);
            g.AppendTokens(prompts[n++ % prompts.Length]);
            while (!g.IsDone()) g.GenerateNextToken();
        }

        for (var i = 0; i < 50; i++) Generate();
        var (rss0, heap0) = Gauges();
        for (var i = 0; i < 1000; i++) Generate();
        var (rss1, heap1) = Gauges();
        output.WriteLine($"1,000 generations: RSS {rss0 / 1e6:F1} → {rss1 / 1e6:F1} MB, managed heap {heap0 / 1e6:F2} → {heap1 / 1e6:F2} MB");
        // one generation's KV cache is ~0.2 MB; leaking generators (native KV caches) 1,000 times would add > 100 MB
        Assert.True(heap1 - heap0 < 4_000_000, $"managed heap grew {(heap1 - heap0) / 1e6:F2} MB");
        Assert.True(rss1 - rss0 < 40_000_000, $"RSS grew {(rss1 - rss0) / 1e6:F2} MB: ORT-GenAI generators or their KV caches not released");
    }

    static (long Rss, long Heap) Gauges()
    {
        for (var i = 0; i < 3; i++) { GC.Collect(); GC.WaitForPendingFinalizers(); }
        using var self = Process.GetCurrentProcess();
        self.Refresh();
        return (self.WorkingSet64, GC.GetTotalMemory(forceFullCollection: true));
    }
}

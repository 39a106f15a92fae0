using Microsoft.Extensions.AI;
using Toolkit.Runtime.Generation;
using Xunit.Abstractions;

namespace Toolkit.Export.Tests.Generation;

/// <summary>
/// The local-engine <see cref="IChatClient"/>: the same answer as the generation helper with the folder's chat
/// template, streaming that concatenates to it, ChatOptions reaching the engine (max tokens, stop sequences, seed),
/// and a multi-turn list rendered whole.
/// </summary>
public sealed class LocalChatClientTests(GenerationFixture f, ITestOutputHelper output) : IClassFixture<GenerationFixture>
{
    [Fact]
    public async Task Answers_as_the_engine_does_and_streams_the_same_text()
    {
        using var client = new LocalChatClient(f.Folder, new DecodingSettings { DoSample = false });
        using var model = new Model(f.Folder);
        var expected = model.Generate(["What is 2+2?"], new GenerationOptions { Search = new DecodingSettings { DoSample = false, MaxNewTokens = 16 } })[0];

        var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "What is 2+2?")], new ChatOptions { MaxOutputTokens = 16 });
        var streamed = new List<string>();
        await foreach (var u in client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "What is 2+2?")], new ChatOptions { MaxOutputTokens = 16 }))
            if (u.Text is { Length: > 0 } t) streamed.Add(t);

        output.WriteLine($"'{response.Text}' ({response.FinishReason}, {response.Usage?.OutputTokenCount} tokens) in {streamed.Count} pieces");
        Assert.Equal(expected.Text, response.Text);
        Assert.Equal(expected.Text, string.Concat(streamed));
        Assert.Equal(expected.Tokens.Length, response.Usage!.OutputTokenCount);
        Assert.Equal(expected.PromptTokens, response.Usage.InputTokenCount);
        Assert.Equal(expected.Finish == FinishReason.Length ? ChatFinishReason.Length : ChatFinishReason.Stop, response.FinishReason);
    }

    [Fact]
    public async Task Stop_sequences_seeds_and_multi_turn_lists_reach_the_engine()
    {
        using var client = new LocalChatClient(f.Folder, new DecodingSettings());
        List<ChatMessage> turns = [new(ChatRole.System, "Be brief."), new(ChatRole.User, "Hello!"), new(ChatRole.Assistant, "Hi."), new(ChatRole.User, "What is 2+2?")];
        var greedy = await client.GetResponseAsync(turns, new ChatOptions { Temperature = 0, MaxOutputTokens = 30 });
        Assert.True(greedy.Text.Length >= 6, $"need some text to cut: '{greedy.Text}'");

        var stop = greedy.Text.Substring(greedy.Text.Length / 2, 2);
        var cut = await client.GetResponseAsync(turns, new ChatOptions { Temperature = 0, MaxOutputTokens = 30, StopSequences = [stop] });
        Assert.Equal(greedy.Text[..greedy.Text.IndexOf(stop, StringComparison.Ordinal)], cut.Text);
        Assert.Equal(ChatFinishReason.Stop, cut.FinishReason);

        var sampled = new ChatOptions { Temperature = 1.2f, TopK = 0, Seed = 3, MaxOutputTokens = 20 };
        var a = await client.GetResponseAsync(turns, sampled);
        var b = await client.GetResponseAsync(turns, sampled);
        Assert.Equal(a.Text, b.Text);

        var shorter = await client.GetResponseAsync(turns.Skip(1).Take(1), new ChatOptions { Temperature = 0, MaxOutputTokens = 30 });
        Assert.True(shorter.Usage!.InputTokenCount < greedy.Usage!.InputTokenCount, "the whole message list is rendered");
        output.WriteLine($"greedy '{greedy.Text}', stop '{stop}' → '{cut.Text}', seeded sample '{a.Text}'");
    }
}

using System.ClientModel;
using System.Net;
using System.Text.Json.Nodes;
using OpenAI.Chat;
using Toolkit.Runtime.Generation;
using Xunit.Abstractions;

namespace Toolkit.Export.Tests.Server;

/// <summary>The OpenAI .NET client, unchanged but for its endpoint, against the server: completions, streaming, models, keys.</summary>
[Collection(ServerCollection.Name)]
public sealed class OpenAiClientTests(ServerFixture f, ITestOutputHelper output)
{
    [Fact]
    public async Task A_completion_and_a_stream_give_the_engines_greedy_answer()
    {
        await using var server = await ServerKit.Start(f);
        var client = ServerKit.Client(server);
        var options = new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 24 };
        ChatMessage[] messages = [new SystemChatMessage("You are terse."), new UserChatMessage("What is 2+2?")];

        ChatCompletion completion = await client.CompleteChatAsync(messages, options);
        var text = completion.Content.Single().Text;
        var expected = f.Model.Generate(["What is 2+2?"], new() { SystemPrompt = "You are terse.", Search = new DecodingSettings { MaxNewTokens = 24, DoSample = false } })[0];
        Assert.Equal(expected.Text, text);
        Assert.NotEmpty(text);
        Assert.Equal(expected.PromptTokens, completion.Usage.InputTokenCount);
        Assert.Equal(expected.Tokens.Length, completion.Usage.OutputTokenCount);
        Assert.Equal(completion.Usage.InputTokenCount + completion.Usage.OutputTokenCount, completion.Usage.TotalTokenCount);
        Assert.Equal(expected.Finish == Runtime.Generation.FinishReason.Length ? ChatFinishReason.Length : ChatFinishReason.Stop, completion.FinishReason);
        Assert.Equal(ChatMessageRole.Assistant, completion.Role);

        var pieces = new List<string>();
        ChatFinishReason? finish = null;
        ChatTokenUsage? usage = null;
        ChatMessageRole? role = null;
        await foreach (var update in client.CompleteChatStreamingAsync(messages, options))
        {
            role ??= update.Role;
            pieces.AddRange(update.ContentUpdate.Select(p => p.Text));
            finish ??= update.FinishReason;
            usage ??= update.Usage;
        }
        output.WriteLine($"answer ({completion.Usage.OutputTokenCount} tokens, {completion.FinishReason}): {text}");
        output.WriteLine($"streamed in {pieces.Count} pieces");
        Assert.Equal(text, string.Concat(pieces));
        Assert.True(pieces.Count > 1, "the answer should arrive in several pieces");
        Assert.Equal(ChatMessageRole.Assistant, role);
        Assert.Equal(completion.FinishReason, finish);
        Assert.NotNull(usage);   // the client asks for stream_options.include_usage
        Assert.Equal(completion.Usage.OutputTokenCount, usage!.OutputTokenCount);
    }

    [Fact]
    public async Task Max_tokens_ends_with_length_and_stop_strings_cut_the_answer()
    {
        await using var server = await ServerKit.Start(f);
        var client = ServerKit.Client(server);
        ChatCompletion full = await client.CompleteChatAsync([new UserChatMessage("The sky is blue and")], new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 24 });
        ChatCompletion three = await client.CompleteChatAsync([new UserChatMessage("The sky is blue and")], new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 3 });
        Assert.Equal(ChatFinishReason.Length, three.FinishReason);
        Assert.Equal(3, three.Usage.OutputTokenCount);
        var fullText = full.Content.Single().Text;
        Assert.StartsWith(three.Content.Single().Text, fullText);

        // a stop string taken from the middle of the full answer: the answer ends just before it
        Assert.True(fullText.Length >= 6, $"the answer '{fullText}' is too short to cut");
        var stop = fullText.Substring(fullText.Length / 2, 2);
        var options = new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 24 };
        options.StopSequences.Add(stop);
        ChatCompletion cut = await client.CompleteChatAsync([new UserChatMessage("The sky is blue and")], options);
        Assert.Equal(fullText[..fullText.IndexOf(stop, StringComparison.Ordinal)], cut.Content.Single().Text);
        Assert.Equal(ChatFinishReason.Stop, cut.FinishReason);
    }

    [Fact]
    public async Task A_seed_reproduces_a_sampled_answer()
    {
        await using var server = await ServerKit.Start(f);
        using var http = ServerKit.Http(server);
        async Task<string> Sample(long seed)
        {
            var body = ServerKit.Body(server, "Hello!", 24, edit: b => { b["temperature"] = 1.5; b["seed"] = seed; b["top_k"] = 0; b["top_p"] = 0.95; });
            using var r = await http.PostAsync("v1/chat/completions", ServerKit.Json(body));
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            return JsonNode.Parse(await r.Content.ReadAsStringAsync())!["choices"]![0]!["message"]!["content"]!.GetValue<string>();
        }
        var a = await Sample(5);
        Assert.Equal(a, await Sample(5));
        var others = new[] { await Sample(6), await Sample(7), await Sample(8) };
        Assert.Contains(others, o => o != a);   // sampling at temperature 1.5 really samples
    }

    [Fact]
    public async Task Models_lists_the_model_and_a_wrong_key_gets_401()
    {
        await using var server = await ServerKit.Start(f, o => o with { ModelName = "tiny-chat" });
        using var http = ServerKit.Http(server);
        var models = JsonNode.Parse(await http.GetStringAsync("v1/models"))!;
        Assert.Equal("list", models["object"]!.GetValue<string>());
        Assert.Equal("tiny-chat", models["data"]!.AsArray().Single()!["id"]!.GetValue<string>());
        Assert.Equal("model", models["data"]![0]!["object"]!.GetValue<string>());

        // the OpenAI client with a wrong key: 401 surfaces as ClientResultException
        var bad = ServerKit.Client(server, "sk-wrong");
        var e = await Assert.ThrowsAsync<ClientResultException>(() => bad.CompleteChatAsync([new UserChatMessage("Hi")]));
        Assert.Equal(401, e.Status);
        // raw: wrong key and no key, on both endpoints, each with an OpenAI error body
        foreach (var key in new[] { "sk-wrong", null })
        {
            using var other = ServerKit.Http(server, key);
            using var r1 = await other.GetAsync("v1/models");
            Assert.Equal(HttpStatusCode.Unauthorized, r1.StatusCode);
            Assert.Equal("invalid_api_key", (await ServerKit.Error(r1))["code"]!.GetValue<string>());
            using var r2 = await other.PostAsync("v1/chat/completions", ServerKit.Json(ServerKit.Body(server, "Hi")));
            Assert.Equal(HttpStatusCode.Unauthorized, r2.StatusCode);
            await ServerKit.Error(r2);
        }
        Assert.Equal(0, server.Stats.Completed);   // nothing was generated for them
    }
}

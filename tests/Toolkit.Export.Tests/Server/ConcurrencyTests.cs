using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using OpenAI.Chat;
using Toolkit.Runtime.Generation;
using Xunit.Abstractions;

namespace Toolkit.Export.Tests.Server;

/// <summary>Many clients at once: every answer right and no errors; a full queue answers 429 at once.</summary>
[Collection(ServerCollection.Name)]
public sealed class ConcurrencyTests(ServerFixture f, ITestOutputHelper output)
{
    const int MaxTokens = 32;

    /// <summary>Client i's request: question i; even clients greedy, odd ones sampling at temperature 1 with seed i (random weights make many greedy answers alike).</summary>
    static (string Question, double Temperature, long Seed) Request(int i) => (ServerKit.Questions[i], i % 2 == 0 ? 0 : 1.0, 100 + i);

    [Fact]
    public async Task Sixteen_concurrent_streaming_clients_each_get_their_own_answer()
    {
        // the answers without a server: the Generation helper's own loop, the same template, options and seed
        var expected = Enumerable.Range(0, 16).Select(i =>
        {
            var (q, t, seed) = Request(i);
            var search = new DecodingSettings { MaxNewTokens = MaxTokens, MaxLength = f.Model.ContextLength, DoSample = t > 0 };
            if (t > 0) search = search with { Temperature = t, RandomSeed = seed };
            return f.Model.Generate([q], new() { Search = search })[0].Text;
        }).ToArray();
        output.WriteLine($"{expected.Distinct().Count()} distinct answers among 16, e.g. '{expected[1]}'");
        Assert.True(expected.Distinct().Count() >= 10, "the answers should differ, or a mix-up between clients could pass unseen");

        await using var server = await ServerKit.Start(f, o => o with { MaxConcurrency = 4, MaxQueue = 16 });
        var client = ServerKit.Client(server);
        var clock = Stopwatch.StartNew();
        var answers = await Task.WhenAll(Enumerable.Range(0, 16).Select(async i =>
        {
            var (q, t, seed) = Request(i);
#pragma warning disable OPENAI001   // Seed is marked experimental in the client
            var options = new ChatCompletionOptions { Temperature = (float)t, MaxOutputTokenCount = MaxTokens, Seed = t > 0 ? seed : null };
#pragma warning restore OPENAI001
            var text = new System.Text.StringBuilder();
            var tokens = 0;
            await foreach (var u in client.CompleteChatStreamingAsync([new UserChatMessage(q)], options))
            {
                foreach (var p in u.ContentUpdate) text.Append(p.Text);
                if (u.Usage is { } usage) tokens = usage.OutputTokenCount;
            }
            return (Text: text.ToString(), Tokens: tokens);
        }));
        var seconds = clock.Elapsed.TotalSeconds;
        var total = answers.Sum(a => a.Tokens);
        output.WriteLine($"16 streaming clients, max_concurrency 4: {total} tokens in {seconds:F2} s = {total / seconds:F0} tokens/s aggregate");
        for (var i = 0; i < expected.Length; i++) Assert.Equal(expected[i], answers[i].Text);
        Assert.Equal(16, server.Stats.Completed);
        Assert.Equal(0, server.Stats.Failed + server.Stats.Cancelled + server.Admission.Rejected);
        Assert.True(await ServerKit.Eventually(() => server.Admission.Running == 0 && server.Admission.Waiting == 0));
    }

    [Fact]
    public async Task A_full_queue_answers_429_at_once_and_the_queued_request_is_served_later()
    {
        await using var server = await ServerKit.Start(f, o => o with { MaxConcurrency = 1, MaxQueue = 1, RetryAfterSeconds = 2 });
        using var http = ServerKit.Http(server);
        var question = ServerKit.Questions[1];

        // hold the only slot, as a long generation would
        var held = await server.Admission.TryEnterAsync();
        Assert.NotNull(held);
        var queued = http.PostAsync("v1/chat/completions", ServerKit.Json(ServerKit.Body(server, question, MaxTokens)));
        Assert.True(await ServerKit.Eventually(() => server.Admission.Waiting == 1), "the second request should wait in the queue");

        var clock = Stopwatch.StartNew();
        using (var refused = await http.PostAsync("v1/chat/completions", ServerKit.Json(ServerKit.Body(server, question, MaxTokens))))
        {
            output.WriteLine($"429 after {clock.ElapsedMilliseconds} ms");
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(2), refused.Headers.RetryAfter?.Delta);
            var error = await ServerKit.Error(refused);
            Assert.Equal("rate_limit_error", error["type"]!.GetValue<string>());
            Assert.Equal("queue_full", error["code"]!.GetValue<string>());
        }
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), "a full queue must answer at once, not wait");
        Assert.False(queued.IsCompleted);

        held!.Dispose();   // the slot passes to the queued request
        using var served = await queued;
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        var answer = JsonNode.Parse(await served.Content.ReadAsStringAsync())!["choices"]![0]!["message"]!["content"]!.GetValue<string>();
        Assert.Equal(ServerKit.Direct(f.Model, question, MaxTokens), answer);
        Assert.Equal(1, server.Admission.Rejected);
    }
}

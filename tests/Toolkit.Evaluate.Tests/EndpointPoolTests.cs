using Microsoft.Extensions.AI;
using Toolkit.Evaluate.Answers;
using Toolkit.Evaluate.Clients;
using Toolkit.Evaluate.Judging;
using Toolkit.Evaluate.Questions;
using Toolkit.Runtime.Server;

namespace Toolkit.Evaluate.Tests;

/// <summary>
/// Evaluation spread over several endpoints (<see cref="EndpointPool"/>): the same answers and judgments, in the same
/// order, as over one endpoint; bounded concurrency on each; a failing endpoint's work finishes on the others.
/// </summary>
public sealed class EndpointPoolTests(ITestOutputHelper output)
{
    /// <summary>A deterministic "model" (the reply depends only on the conversation) that can die after some calls and records its peak load.</summary>
    sealed class Server(string name, int dieAfter = int.MaxValue, int holdMs = 5) : IChatClient
    {
        int _calls, _inFlight, _peak;

        public int Peak => _peak;

        public int Calls => _calls;

        public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            var list = messages.ToList();
            var n = Interlocked.Increment(ref _calls);
            var now = Interlocked.Increment(ref _inFlight);
            lock (this) _peak = Math.Max(_peak, now);
            try
            {
                await Task.Delay(holdMs, cancellationToken);
                if (n > dieAfter) throw new HttpRequestException($"{name}: connection refused");
                if (list[^1].Text.Contains("bad")) throw new ArgumentException("400 bad request");
                var text = string.Join("|", list.Select(m => m.Text.Length));
                return new ChatResponse(new ChatMessage(ChatRole.Assistant, list[0].Role == ChatRole.System ? $"judged {text} [[{(text.Length % 2 == 0 ? "A" : "B")}]]" : $"answer {text}"));
            }
            finally { Interlocked.Decrement(ref _inFlight); }
        }

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose() { }
    }

    static readonly IReadOnlyList<Question> Qs = QuestionSet.LoadBuiltIn().Take(12).ToList();

    static async Task<string[]> Answer(IChatClient client, TempDir dir, string name)
    {
        var path = dir.File(name + ".jsonl");
        await new AnswerRun(client, new AnswerOptions { Model = "pool", Out = path, Concurrency = 6, ModelId = "m" }).RunAsync(Qs);
        // content and order, without the per-run answer_id and timestamp
        return File.ReadAllLines(path).Select(l => AnswerRecord.Parse(l, path)).Select(r => r.QuestionId + ": " + string.Join(" / ", r.Turns)).ToArray();
    }

    [Fact]
    public async Task Answers_over_two_endpoints_equal_answers_over_one_in_content_and_order()
    {
        using var dir = new TempDir();
        var one = await Answer(new EndpointPool([("a", new Server("a"))], maxConcurrency: 6), dir, "one");
        var a = new Server("a"); var b = new Server("b");
        var pool = new EndpointPool([("a", a), ("b", b)], maxConcurrency: 2);
        var two = await Answer(pool, dir, "two");
        output.WriteLine($"served: a {pool.Endpoints[0].Served}, b {pool.Endpoints[1].Served}; peak in flight a {a.Peak}, b {b.Peak}");
        Assert.Equal(Qs.Select(q => q.Id), one.Select(l => l[..l.IndexOf(':')]));
        Assert.Equal(one, two);
        Assert.True(pool.Endpoints.All(e => e.Served > 0), "both endpoints should get work");
        Assert.InRange(a.Peak, 1, 2);
        Assert.InRange(b.Peak, 1, 2);
    }

    [Fact]
    public async Task An_endpoint_that_dies_mid_run_has_its_pending_work_finished_by_the_other()
    {
        using var dir = new TempDir();
        var one = await Answer(new Server("a"), dir, "one");
        var pool = new EndpointPool([("a", new Server("a")), ("b", new Server("b", dieAfter: 3))], maxConcurrency: 3);
        var dropped = new List<string>();
        pool.OnEndpointFailed = e => dropped.Add(e.Name);
        var two = await Answer(pool, dir, "two");
        Assert.Equal(one, two);
        Assert.Equal(["b"], dropped);
        Assert.Contains("connection refused", pool.Endpoints[1].Failure!.Message);
        Assert.Equal(3, pool.Endpoints[1].Served);
        output.WriteLine($"b answered {pool.Endpoints[1].Served} requests before dying; a answered {pool.Endpoints[0].Served}");
    }

    [Fact]
    public async Task Judgments_over_two_endpoints_equal_judgments_over_one()
    {
        var answers1 = Kit.Answers("m1", Qs.Select(q => (q.Id, q.Turns.Select(t => "one " + t).ToArray())).ToArray());
        var answers2 = Kit.Answers("m2", Qs.Select(q => (q.Id, q.Turns.Select(t => "two: " + t).ToArray())).ToArray());
        async Task<List<string>> Judge(IChatClient c) => (await new JudgingRun(new LlmJudge(c, "judge", JudgePrompts.BuiltIn()), null, concurrency: 5)
            .PairwiseAsync(Qs, answers1, "m1", answers2, "m2")).Select(r => $"{r.QuestionId}/{r.Turn}: {r.G1} {r.G2} {r.G1Judgment}").ToList();
        var one = await Judge(new Server("a"));
        var pool = new EndpointPool([("a", new Server("a")), ("b", new Server("b", dieAfter: 4))], maxConcurrency: 2);
        var two = await Judge(pool);
        Assert.Equal(one, two);
        Assert.NotNull(pool.Endpoints[1].Failure);
    }

    [Fact]
    public async Task A_bad_request_fails_as_it_is_and_leaves_the_endpoint_live()
    {
        var pool = new EndpointPool([("a", new Server("a")), ("b", new Server("b"))], maxConcurrency: 1);
        await Assert.ThrowsAsync<ArgumentException>(() => pool.GetResponseAsync("a bad prompt"));
        Assert.All(pool.Endpoints, e => Assert.Null(e.Failure));
        Assert.StartsWith("answer", (await pool.GetResponseAsync("fine")).Text);
    }

    [Fact]
    public async Task When_every_endpoint_has_failed_the_error_names_each()
    {
        var pool = new EndpointPool([("http://a/v1", new Server("a", dieAfter: 0)), ("http://b/v1", new Server("b", dieAfter: 0))], maxConcurrency: 1);
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => pool.GetResponseAsync("hello"));
        Assert.Contains("http://a/v1: a: connection refused", e.Message);
        Assert.Contains("http://b/v1: b: connection refused", e.Message);
    }

    [Fact]
    public async Task Two_served_instances_answer_like_one_and_one_stopping_mid_run_changes_nothing()
    {
        using var dir = new TempDir();
        var folder = EndToEndTests.ExportTinyModel(dir);
        var qs = QuestionSet.LoadBuiltIn().Take(6).ToList();
        await using var s1 = await ChatServer.StartAsync(new ServeOptions { Model = folder, Port = 0, MaxConcurrency = 2 }, log: _ => { });
        var s2 = await ChatServer.StartAsync(new ServeOptions { Model = folder, Port = 0, MaxConcurrency = 2 }, log: _ => { });
        var url1 = new Uri(s1.BaseAddress, "v1").ToString();
        var url2 = new Uri(s2.BaseAddress, "v1").ToString();
        var options = new ClientOptions { Retries = 1, RetryDelaySeconds = 0.01, MaxConcurrency = 2 };

        async Task<string[]> Run(string name, ClientOptions o, Func<int, Task>? afterQuestion = null)
        {
            var path = dir.File(name + ".jsonl");
            using var client = await ChatClients.OpenAsync(url1, o);
            var done = 0;
            await new AnswerRun(client, new AnswerOptions { Model = url1, Out = path, MaxNewTokens = 6, Concurrency = 4, ModelId = "tiny" })
                .RunAsync(qs, _ => { if (afterQuestion is not null) afterQuestion(Interlocked.Increment(ref done)).GetAwaiter().GetResult(); });
            if (client is EndpointPool pool) output.WriteLine($"{name}: " + string.Join(", ", pool.Endpoints.Select(e => $"{e.Name} served {e.Served}{(e.Failure is null ? "" : $", dropped ({e.Failure.Message})")}")));
            return File.ReadAllLines(path).Select(l => AnswerRecord.Parse(l, path)).Select(r => r.QuestionId + ": " + string.Join(" / ", r.Turns)).ToArray();
        }

        var one = await Run("one", options);
        var two = await Run("two", options with { Endpoints = [url2] });
        Assert.Equal(one, two);
        var stopped = 0;
        var dying = await Run("dying", options with { Endpoints = [url2] }, async n => { if (n == 1 && Interlocked.Exchange(ref stopped, 1) == 0) await s2.DisposeAsync(); });
        Assert.Equal(one, dying);
        output.WriteLine(string.Join("\n", one));
    }
}

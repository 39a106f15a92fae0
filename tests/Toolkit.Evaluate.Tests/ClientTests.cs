using Microsoft.Extensions.AI;
using Toolkit.Evaluate.Clients;

namespace Toolkit.Evaluate.Tests;

public sealed class ClientTests
{
    /// <summary>Fails with <paramref name="failure"/> for the first <paramref name="failures"/> calls, then answers; tracks calls in flight.</summary>
    sealed class Flaky(int failures, Func<Exception> failure, int holdMs = 0) : IChatClient
    {
        int _calls, _inFlight, _maxInFlight;

        public int Calls => _calls;

        public int MaxInFlight => _maxInFlight;

        public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            var n = Interlocked.Increment(ref _calls);
            var now = Interlocked.Increment(ref _inFlight);
            lock (this) _maxInFlight = Math.Max(_maxInFlight, now);
            try
            {
                if (holdMs > 0) await Task.Delay(holdMs, cancellationToken);
                if (n <= failures) throw failure();
                return new ChatResponse(new ChatMessage(ChatRole.Assistant, "ok"));
            }
            finally { Interlocked.Decrement(ref _inFlight); }
        }

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose() { }
    }

    [Fact]
    public async Task TransientFailuresAreRetriedAndOthersAreNot()
    {
        var flaky = new Flaky(2, () => new HttpRequestException("connection reset"));
        using var client = new ResilientChatClient(flaky, new ClientOptions { Retries = 2, RetryDelaySeconds = 0.01 });
        Assert.Equal("ok", (await client.GetResponseAsync("hi")).Text);
        Assert.Equal(3, flaky.Calls);

        var tooFlaky = new Flaky(5, () => new HttpRequestException("down"));
        using var giveUp = new ResilientChatClient(tooFlaky, new ClientOptions { Retries = 2, RetryDelaySeconds = 0.01 });
        await Assert.ThrowsAsync<HttpRequestException>(() => giveUp.GetResponseAsync("hi"));
        Assert.Equal(3, tooFlaky.Calls);

        var bad = new Flaky(1, () => new ArgumentException("bad request"));
        using var noRetry = new ResilientChatClient(bad, new ClientOptions { Retries = 3, RetryDelaySeconds = 0.01 });
        await Assert.ThrowsAsync<ArgumentException>(() => noRetry.GetResponseAsync("hi"));
        Assert.Equal(1, bad.Calls);
    }

    [Fact]
    public async Task ConcurrencyIsBoundedAndTheRestWait()
    {
        var slow = new Flaky(0, () => new InvalidOperationException(), holdMs: 50);
        using var client = new ResilientChatClient(slow, new ClientOptions { MaxConcurrency = 2 });
        var all = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => client.GetResponseAsync("hi")));
        Assert.All(all, r => Assert.Equal("ok", r.Text));
        Assert.Equal(8, slow.Calls);
        Assert.Equal(2, slow.MaxInFlight);
    }

    [Fact]
    public async Task NeitherUrlNorFolderIsRefusedWithAHint()
    {
        var e = await Assert.ThrowsAsync<ArgumentException>(() => ChatClients.OpenAsync("no/such/folder", new ClientOptions()));
        Assert.Contains("neither an http(s) URL nor an existing folder", e.Message);
    }
}

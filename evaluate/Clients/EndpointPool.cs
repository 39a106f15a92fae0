using System.ClientModel;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Polly.Timeout;

namespace Toolkit.Evaluate.Clients;

/// <summary>
/// One <see cref="IChatClient"/> over several endpoints that serve the same model (our <c>serve</c> instances, vLLM, TGI):
/// 1) each request goes to the live endpoint with the fewest requests in flight (ties: the first listed), at most
///    <c>maxConcurrency</c> in flight per endpoint; callers beyond every endpoint's limit wait in one queue;
/// 2) a request that fails with an endpoint failure — after that endpoint's own retries (<see cref="ResilientChatClient"/>):
///    network errors, timeouts, HTTP 408/429/5xx — marks the endpoint dead and is sent again to another live one, as is
///    every request still waiting; other errors (a bad request) are the request's own and are thrown as they are;
/// 3) when no endpoint is left, requests fail with an <see cref="InvalidOperationException"/> naming each endpoint's failure.
/// A request's content does not depend on which endpoint answers (same model, greedy or seeded sampling), so the results
/// equal those of one endpoint; callers keep their own order (see <see cref="Answers.AnswerRun"/>).
/// </summary>
public sealed class EndpointPool : IChatClient
{
    /// <summary>One endpoint and what it has done.</summary>
    public sealed class Endpoint(string name, IChatClient client)
    {
        /// <summary>The endpoint's URL or folder, as given.</summary>
        public string Name { get; } = name;

        internal IChatClient Client { get; } = client;

        internal int InFlight;

        /// <summary>Requests this endpoint answered.</summary>
        public int Served => _served;

        internal int _served;

        /// <summary>Why the endpoint was dropped, or null while it is live.</summary>
        public Exception? Failure { get; internal set; }
    }

    readonly List<Endpoint> _endpoints;
    readonly int _limit;
    readonly Lock _gate = new();
    TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>A pool over <paramref name="endpoints"/> (owned: disposed with the pool), at most <paramref name="maxConcurrency"/> requests in flight on each.</summary>
    public EndpointPool(IEnumerable<(string Name, IChatClient Client)> endpoints, int maxConcurrency)
    {
        _endpoints = endpoints.Select(e => new Endpoint(e.Name, e.Client)).ToList();
        if (_endpoints.Count == 0) throw new ArgumentException("an endpoint pool needs at least one endpoint");
        if (maxConcurrency < 1) throw new ArgumentException($"max concurrency per endpoint {maxConcurrency} must be ≥ 1");
        _limit = maxConcurrency;
    }

    /// <summary>The endpoints in the order given.</summary>
    public IReadOnlyList<Endpoint> Endpoints => _endpoints;

    /// <summary>Called once per endpoint dropped, with the failure that dropped it.</summary>
    public Action<Endpoint>? OnEndpointFailed { get; set; }

    /// <inheritdoc/>
    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = messages.ToList();
        while (true)
        {
            var e = await AcquireAsync(cancellationToken);
            try
            {
                var response = await e.Client.GetResponseAsync(list, options, cancellationToken);
                Interlocked.Increment(ref e._served);
                return response;
            }
            catch (Exception x) when (IsEndpointFailure(x, cancellationToken)) { Drop(e, x); }
            finally { Release(e); }
        }
    }

    /// <inheritdoc/>
    /// <remarks>A stream moves to another endpoint only if it fails before its first update.</remarks>
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var list = messages.ToList();
        while (true)
        {
            var e = await AcquireAsync(cancellationToken);
            try
            {
                var stream = e.Client.GetStreamingResponseAsync(list, options, cancellationToken).GetAsyncEnumerator(cancellationToken);
                await using (stream)
                {
                    bool any;
                    try { any = await stream.MoveNextAsync(); }
                    catch (Exception x) when (IsEndpointFailure(x, cancellationToken)) { Drop(e, x); continue; }
                    if (!any) yield break;
                    yield return stream.Current;
                    while (await stream.MoveNextAsync()) yield return stream.Current;
                    Interlocked.Increment(ref e._served);
                    yield break;
                }
            }
            finally { Release(e); }
        }
    }

    /// <inheritdoc/>
    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this : _endpoints[0].Client.GetService(serviceType, serviceKey);

    /// <summary>Disposes every endpoint's client.</summary>
    public void Dispose()
    {
        foreach (var e in _endpoints) e.Client.Dispose();
    }

    /// <summary>Network errors, timeouts and HTTP 408/429/5xx that outlived the endpoint's retries; never the caller's own cancellation.</summary>
    static bool IsEndpointFailure(Exception x, CancellationToken cancel) => x switch
    {
        OperationCanceledException when cancel.IsCancellationRequested => false,
        HttpRequestException or TimeoutRejectedException or TimeoutException or OperationCanceledException => true,
        ClientResultException c => c.Status is 0 or 408 or 429 or >= 500,
        _ => false,
    };

    async Task<Endpoint> AcquireAsync(CancellationToken cancel)
    {
        while (true)
        {
            Task wait;
            lock (_gate)
            {
                Endpoint? best = null;
                foreach (var e in _endpoints)
                    if (e.Failure is null && e.InFlight < _limit && (best is null || e.InFlight < best.InFlight)) best = e;
                if (best is not null) { best.InFlight++; return best; }
                if (_endpoints.All(e => e.Failure is not null))
                    throw new InvalidOperationException("every endpoint failed: " + string.Join("; ", _endpoints.Select(e => $"{e.Name}: {e.Failure!.Message}")) +
                        ". HINT: check that the servers are up (curl URL/models) and reachable from here.");
                wait = _changed.Task;
            }
            await wait.WaitAsync(cancel);
        }
    }

    void Release(Endpoint e)
    {
        lock (_gate) { e.InFlight--; Signal(); }
    }

    void Drop(Endpoint e, Exception why)
    {
        var first = false;
        lock (_gate)
        {
            if (e.Failure is null) { e.Failure = why; first = true; }
            Signal();
        }
        if (first) OnEndpointFailed?.Invoke(e);
    }

    /// <summary>Wakes every waiter (they re-pick); called under the lock.</summary>
    void Signal()
    {
        var old = _changed;
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        old.TrySetResult();
    }
}

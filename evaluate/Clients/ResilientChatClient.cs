using System.ClientModel;
using System.Runtime.CompilerServices;
using System.Threading.RateLimiting;
using Microsoft.Extensions.AI;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Toolkit.Evaluate.Clients;

/// <summary>
/// Wraps an <see cref="IChatClient"/> with, in this order: bounded concurrency (a <see cref="ConcurrencyLimiter"/>:
/// callers beyond the limit wait), a token-bucket rate limit (<see cref="TokenBucketRateLimiter"/>, when asked for),
/// and Polly retries with exponential backoff and jitter around a per-attempt timeout (first delay <see cref="ClientOptions.RetryDelaySeconds"/>). Transient failures are HTTP
/// 408 / 429 / 5xx (<see cref="ClientResultException"/>), <see cref="HttpRequestException"/> and timeouts; a 4xx
/// other than 408/429 fails at once (retrying a bad request cannot help).
/// </summary>
public sealed class ResilientChatClient : DelegatingChatClient
{
    readonly ConcurrencyLimiter _concurrency;
    readonly TokenBucketRateLimiter? _rate;
    readonly ResiliencePipeline _pipeline;

    /// <summary>Wraps <paramref name="inner"/> (owned: disposed with this client).</summary>
    public ResilientChatClient(IChatClient inner, ClientOptions options) : base(inner)
    {
        options.Validate();
        _concurrency = new ConcurrencyLimiter(new ConcurrencyLimiterOptions { PermitLimit = options.MaxConcurrency, QueueLimit = int.MaxValue, QueueProcessingOrder = QueueProcessingOrder.OldestFirst });
        if (options.RequestsPerSecond > 0)
        {
            var perPeriod = Math.Max(1, (int)Math.Ceiling(options.RequestsPerSecond));
            _rate = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
            {
                TokenLimit = perPeriod, TokensPerPeriod = perPeriod, QueueLimit = int.MaxValue, AutoReplenishment = true,
                ReplenishmentPeriod = TimeSpan.FromSeconds(perPeriod / options.RequestsPerSecond),
            });
        }
        var builder = new ResiliencePipelineBuilder();
        if (options.Retries > 0)
            builder.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = options.Retries, BackoffType = DelayBackoffType.Exponential, UseJitter = true, Delay = TimeSpan.FromSeconds(options.RetryDelaySeconds),
                ShouldHandle = new PredicateBuilder().Handle<HttpRequestException>().Handle<TimeoutRejectedException>()
                    .Handle<ClientResultException>(e => e.Status is 0 or 408 or 429 or >= 500),
            });
        _pipeline = builder.AddTimeout(TimeSpan.FromSeconds(options.RequestTimeoutSeconds)).Build();
    }

    /// <inheritdoc/>
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = messages.ToList();
        using var lease = await AcquireAsync(cancellationToken);
        return await _pipeline.ExecuteAsync(async ct => await base.GetResponseAsync(list, options, ct), cancellationToken);
    }

    /// <inheritdoc/>
    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var lease = await AcquireAsync(cancellationToken);
        await foreach (var u in base.GetStreamingResponseAsync(messages, options, cancellationToken)) yield return u;
    }

    async Task<IDisposable> AcquireAsync(CancellationToken cancel)
    {
        var slot = await _concurrency.AcquireAsync(1, cancel);
        if (_rate is not null)
        {
            using var token = await _rate.AcquireAsync(1, cancel);
        }
        return slot;
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing) { _concurrency.Dispose(); _rate?.Dispose(); }
        base.Dispose(disposing);
    }
}

namespace Toolkit.Evaluate.Clients;

/// <summary>How <see cref="ChatClients.OpenAsync"/> reaches a model; the CLI's help repeats these words.</summary>
public sealed record ClientOptions
{
    /// <summary>--api-key-env: the environment variable holding the endpoint's API key (never the key itself on the command line). Default OPENAI_API_KEY; unset sends "EMPTY" (what local OpenAI-compatible servers accept).</summary>
    public string ApiKeyEnv { get; init; } = "OPENAI_API_KEY";

    /// <summary>--model-name: the model name sent to an endpoint. Default: the first id GET /v1/models lists.</summary>
    public string? ModelName { get; init; }

    /// <summary>--retries: retries per request after a transient failure (HTTP 408/429/5xx, network errors, timeouts), exponential backoff with jitter from 1 s. Range 0..10. Default 4.</summary>
    public int Retries { get; init; } = 4;

    /// <summary>First retry delay in seconds; each later one doubles it (with jitter). Default 1.</summary>
    public double RetryDelaySeconds { get; init; } = 1;

    /// <summary>--requests-per-second: a token-bucket rate limit on requests (0 = none). Default 0.</summary>
    public double RequestsPerSecond { get; init; }

    /// <summary>--max-concurrency: requests in flight at most through this client (further callers wait). Range 1..256. Default 4.</summary>
    public int MaxConcurrency { get; init; } = 4;

    /// <summary>--request-timeout: seconds one attempt may take before it counts as a transient failure. Default 300.</summary>
    public double RequestTimeoutSeconds { get; init; } = 300;

    /// <summary>--endpoint (repeatable): more OpenAI-compatible base URLs serving the same model as --model; requests are spread over all of them (at most --max-concurrency in flight on each), and an endpoint that fails has its pending work moved to the others (<see cref="EndpointPool"/>). Default none.</summary>
    public IReadOnlyList<string> Endpoints { get; init; } = [];

    /// <summary>Checks ranges; messages say what to pass instead.</summary>
    public ClientOptions Validate()
    {
        foreach (var e in Endpoints)
            if (!Uri.TryCreate(e, UriKind.Absolute, out var u) || (u.Scheme != Uri.UriSchemeHttp && u.Scheme != Uri.UriSchemeHttps))
                throw new ArgumentException($"--endpoint {e}: not an http(s) URL. HINT: pass an OpenAI-compatible base URL such as http://10.0.0.2:8000/v1");
        if (Retries is < 0 or > 10) throw new ArgumentException($"--retries {Retries} is out of range 0..10");
        if (RequestsPerSecond < 0) throw new ArgumentException($"--requests-per-second {RequestsPerSecond} must be ≥ 0 (0 = no limit)");
        if (MaxConcurrency is < 1 or > 256) throw new ArgumentException($"--max-concurrency {MaxConcurrency} is out of range 1..256");
        if (RetryDelaySeconds < 0) throw new ArgumentException($"retry delay {RetryDelaySeconds} must be ≥ 0 seconds");
        if (RequestTimeoutSeconds <= 0) throw new ArgumentException($"--request-timeout {RequestTimeoutSeconds} must be > 0 seconds");
        return this;
    }
}

using System.Net;

namespace Toolkit.Runtime.Server;

/// <summary>
/// Settings of <c>toolkit serve</c> (and of <see cref="ChatServer.StartAsync"/>): where the model is, where to listen,
/// who may call, and how much work is taken at once. The CLI's help texts repeat these docs.
/// </summary>
public sealed record ServeOptions
{
    /// <summary>The ONNX Runtime GenAI model folder (genai_config.json, model.onnx, tokenizer files with a chat template). Required.</summary>
    public string Model { get; init; } = "";

    /// <summary>
    /// The name clients pass as <c>model</c> and that /v1/models lists (default: the folder's name). A request naming
    /// another model gets 404 model_not_found.
    /// </summary>
    public string? ModelName { get; init; }

    /// <summary>
    /// Address to listen on (default 127.0.0.1: this machine only). Anything else (0.0.0.0, ::, a LAN address) exposes
    /// the model to the network, and the server says so loudly at start; set <see cref="ApiKey"/> then.
    /// </summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>TCP port (default 8000; 0 = any free port, see <see cref="ChatServer.BaseAddress"/>). Range 0..65535.</summary>
    public int Port { get; init; } = 8000;

    /// <summary>
    /// When set, every /v1 request must carry <c>Authorization: Bearer KEY</c>; others get 401 invalid_api_key.
    /// Null or empty = no key (fine on 127.0.0.1).
    /// </summary>
    public string? ApiKey { get; init; }

    /// <summary>
    /// Requests generating at the same time (default 4, range 1..256). Each has its own KV cache; they share one ONNX
    /// Runtime session and its intra-op threads, so more than a few per core only adds latency.
    /// </summary>
    public int MaxConcurrency { get; init; } = 4;

    /// <summary>
    /// Requests allowed to wait for a free slot when all <see cref="MaxConcurrency"/> are busy (default 32, range
    /// 0..10000). One more is answered at once with 429 and Retry-After.
    /// </summary>
    public int MaxQueue { get; init; } = 32;

    /// <summary>ONNX Runtime intra-op threads of the shared session (default: genai_config.json's, else one per core).</summary>
    public int? Threads { get; init; }

    /// <summary>Where ORT-GenAI runs the model (default CPU; CUDA needs the Microsoft.ML.OnnxRuntimeGenAI.Cuda build).</summary>
    public Toolkit.Runtime.Generation.Device Device { get; init; }

    /// <summary>
    /// How long a shutdown (SIGTERM, Ctrl-C) waits for requests in flight and in the queue to finish before cutting
    /// them off (default 60 s). New connections are refused from the moment shutdown starts.
    /// </summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Largest request body accepted, in bytes (default 4 MiB = 4,194,304; range 1,024..1 GiB). A larger body is refused
    /// with 413 request_too_large before it is read, so memory per request stays bounded by this limit. 4 MiB holds
    /// about a million tokens of conversation, more than any served model's context.
    /// </summary>
    public long MaxRequestBytes { get; init; } = 4L << 20;

    /// <summary>Seconds a 429 tells the client to wait (Retry-After header; default 1, range 1..3600).</summary>
    public int RetryAfterSeconds { get; init; } = 1;

    /// <summary>The address <see cref="Host"/> names (127.0.0.1 for "localhost").</summary>
    public IPAddress Address => Host == "localhost" ? IPAddress.Loopback : IPAddress.Parse(Host);

    /// <summary>True when the server is reachable from other machines.</summary>
    public bool IsExposed => !IPAddress.IsLoopback(Address);

    /// <summary>Checks every setting; messages name the setting and what to do.</summary>
    public ServeOptions Validate()
    {
        if (string.IsNullOrWhiteSpace(Model)) throw new ArgumentException("--model is required. HINT: pass an exported model folder (toolkit export --out DIR)");
        if (!Directory.Exists(Model)) throw new ArgumentException($"--model '{Model}' is not a folder. HINT: pass the folder that holds genai_config.json");
        if (Host != "localhost" && !IPAddress.TryParse(Host, out _))
            throw new ArgumentException($"--host '{Host}' is not an IP address. HINT: use 127.0.0.1 (this machine), 0.0.0.0 (every IPv4 interface) or ::");
        if (Port is < 0 or > 65535) throw new ArgumentException($"--port {Port} is out of range. HINT: use 1..65535, or 0 for any free port");
        if (MaxConcurrency is < 1 or > 256) throw new ArgumentException($"--max-concurrency {MaxConcurrency} is out of range. HINT: use 1..256 (a few per core)");
        if (MaxQueue is < 0 or > 10000) throw new ArgumentException($"--max-queue {MaxQueue} is out of range. HINT: use 0..10000 (0 = answer 429 whenever every slot is busy)");
        if (Threads is < 1) throw new ArgumentException($"--threads {Threads} must be ≥ 1");
        if (ShutdownTimeout < TimeSpan.Zero) throw new ArgumentException("the shutdown timeout must not be negative");
        if (RetryAfterSeconds is < 1 or > 3600) throw new ArgumentException($"retry-after {RetryAfterSeconds} s is out of range. HINT: use 1..3600");
        if (MaxRequestBytes is < 1024 or > 1L << 30)
            throw new ArgumentException($"--max-request-bytes {MaxRequestBytes} is out of range. HINT: use 1024..1073741824 (default 4194304)");
        if (ModelName is { Length: 0 }) throw new ArgumentException("--model-name is empty. HINT: leave it out to use the folder's name");
        return this;
    }
}

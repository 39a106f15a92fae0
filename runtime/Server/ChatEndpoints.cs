using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Toolkit.Runtime.Server;

/// <summary>
/// The request handlers: API-key check, POST /v1/chat/completions (JSON or SSE), GET /v1/models, GET /health, and
/// OpenAI-style error bodies for everything that goes wrong. Order inside a chat request: read and check the body,
/// render the prompt (a bad request is answered 400 before it waits for anything), then take a slot from the
/// <see cref="AdmissionQueue"/> (429 at once when the queue is full), then generate on a dedicated thread while this
/// one writes; a client that disconnects cancels its generation, and the slot is freed only once the generator stops.
/// </summary>
internal sealed class ChatEndpoints(ChatEngine engine, AdmissionQueue admission, ServerStats stats, string modelName, long created,
    ServeOptions options, IHostApplicationLifetime lifetime, ILogger logger)
{
    readonly byte[]? _key = string.IsNullOrEmpty(options.ApiKey) ? null : Encoding.UTF8.GetBytes("Bearer " + options.ApiKey);

    /// <summary>Middleware: every /v1 request carries the API key when one is set.</summary>
    public async Task Authorize(HttpContext ctx, RequestDelegate next)
    {
        if (_key is not null && ctx.Request.Path.StartsWithSegments("/v1"))
        {
            var given = Encoding.UTF8.GetBytes(ctx.Request.Headers.Authorization.ToString());
            if (!CryptographicOperations.FixedTimeEquals(given, _key))
            {
                var missing = given.Length == 0;
                await WriteError(ctx, new ApiError(401, "invalid_request_error",
                    missing ? "no API key given. HINT: send the header 'Authorization: Bearer YOUR_KEY' (OpenAI clients do so from their api key setting)"
                            : "incorrect API key provided. HINT: use the key the server was started with (--api-key)",
                    null, "invalid_api_key"));
                return;
            }
        }
        await next(ctx);
    }

    /// <summary>GET /v1/models.</summary>
    public Task Models(HttpContext ctx) => WriteJson(ctx, 200, OpenAiJson.Models(modelName, created));

    /// <summary>GET /v1/models/{id}.</summary>
    public Task ModelById(HttpContext ctx, string id) => id == modelName
        ? WriteJson(ctx, 200, OpenAiJson.Model(modelName, created))
        : WriteError(ctx, new ApiError(404, "invalid_request_error", $"the model '{id}' does not exist here; this server serves '{modelName}'", "model", "model_not_found"));

    /// <summary>GET /health: liveness and load (no key needed).</summary>
    public Task Health(HttpContext ctx) => WriteJson(ctx, 200, new JsonObject
    {
        ["status"] = lifetime.ApplicationStopping.IsCancellationRequested ? "stopping" : "ok",
        ["model"] = modelName,
        ["running"] = admission.Running,
        ["waiting"] = admission.Waiting,
        ["completed"] = stats.Completed,
        ["cancelled"] = stats.Cancelled,
        ["rejected"] = admission.Rejected,
    });

    /// <summary>Anything else: 404 in OpenAI's shape.</summary>
    public Task NotFound(HttpContext ctx) => WriteError(ctx, new ApiError(404, "invalid_request_error",
        $"no route {ctx.Request.Method} {ctx.Request.Path}. HINT: this server answers POST /v1/chat/completions and GET /v1/models", null, "unknown_url"));

    /// <summary>POST /v1/chat/completions.</summary>
    public async Task ChatCompletions(HttpContext ctx)
    {
        var aborted = ctx.RequestAborted;
        ChatRequest request;
        PreparedChat prepared;
        try
        {
            if (lifetime.ApplicationStopping.IsCancellationRequested)
                throw new ApiError(503, "server_error", "the server is shutting down. HINT: retry on another instance or after it restarts", null, "shutting_down");
            var body = await RequestBody.ReadJsonAsync(ctx.Request, options.MaxRequestBytes, aborted);
            request = ChatRequest.Parse(body);
            if (request.Model != modelName)
                throw new ApiError(404, "invalid_request_error", $"the model '{request.Model}' does not exist here; this server serves '{modelName}' (GET /v1/models)", "model", "model_not_found");
            prepared = engine.Prepare(request);
        }
        catch (ApiError e)
        {
            await WriteError(ctx, e);
            return;
        }

        AdmissionQueue.Slot? slot;
        try { slot = await admission.TryEnterAsync(aborted); }
        catch (OperationCanceledException) { return; }   // the client left while queued
        if (slot is null)
        {
            ctx.Response.Headers.RetryAfter = options.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            await WriteError(ctx, new ApiError(429, "rate_limit_error",
                $"the server is busy: {admission.MaxConcurrency} requests are generating and {admission.MaxQueue} are waiting. HINT: retry after {options.RetryAfterSeconds} s (Retry-After), or start the server with a larger --max-queue",
                null, "queue_full"));
            return;
        }
        using (slot)
        {
            var id = "chatcmpl-" + Guid.NewGuid().ToString("N");
            var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            if (request.Stream) await Stream(ctx, id, now, request, prepared);
            else await Complete(ctx, id, now, prepared);
        }
    }

    async Task Complete(HttpContext ctx, string id, long now, PreparedChat prepared)
    {
        ChatOutcome outcome;
        try { outcome = await OffThread(() => engine.Run(prepared, _ => { }, ctx.RequestAborted)); }
        catch (GenerationCancelledException e)
        {
            stats.OnCancelled();
            stats.OnDiscarded(e.Tokens);
            return;
        }
        catch (Exception e)
        {
            stats.OnFailed();
            logger.LogError(e, "generation failed");
            await WriteError(ctx, new ApiError(500, "server_error", $"generation failed: {e.Message}", null, "generation_failed"));
            return;
        }
        await WriteJson(ctx, 200, OpenAiJson.Completion(id, now, modelName, outcome));
        stats.OnCompleted(outcome.CompletionTokens);
    }

    async Task Stream(HttpContext ctx, string id, long now, ChatRequest request, PreparedChat prepared)
    {
        // generation (dedicated thread) → channel → this thread writes SSE; stopping either side stops the other
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted);
        var pieces = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var generation = OffThread(() =>
        {
            try { return engine.Run(prepared, piece => pieces.Writer.TryWrite(piece), cancel.Token); }
            finally { pieces.Writer.Complete(); }
        });
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "text/event-stream; charset=utf-8";
        ctx.Response.Headers.CacheControl = "no-cache";
        ctx.Response.Headers["X-Accel-Buffering"] = "no";
        var delivered = false;
        try
        {
            await Event(ctx, OpenAiJson.Chunk(id, now, modelName, new JsonObject { ["role"] = "assistant", ["content"] = "" }), cancel.Token);
            await foreach (var piece in pieces.Reader.ReadAllAsync(cancel.Token))
                await Event(ctx, OpenAiJson.Chunk(id, now, modelName, new JsonObject { ["content"] = piece }), cancel.Token);
            var outcome = await generation;
            await Event(ctx, OpenAiJson.Chunk(id, now, modelName, new JsonObject(), outcome.FinishReasonName), cancel.Token);
            if (request.IncludeUsage) await Event(ctx, OpenAiJson.UsageChunk(id, now, modelName, outcome), cancel.Token);
            await ctx.Response.WriteAsync("data: [DONE]\n\n", cancel.Token);
            await ctx.Response.Body.FlushAsync(cancel.Token);
            stats.OnCompleted(outcome.CompletionTokens);
            delivered = true;
        }
        catch (Exception e) when (e is OperationCanceledException or IOException || ctx.RequestAborted.IsCancellationRequested)
        {
            stats.OnCancelled();   // the client went away (a failed write or the abort token)
        }
        catch (Exception e)
        {
            stats.OnFailed();
            logger.LogError(e, "generation failed");
            // the status line is gone; OpenAI streams report errors as an event with an error object
            var error = new ApiError(500, "server_error", $"generation failed: {e.Message}", null, "generation_failed").ToJson();
            try { await Event(ctx, error, CancellationToken.None); } catch (IOException) { }
        }
        finally
        {
            cancel.Cancel();   // stop the generator if this side ended first
            try   // the slot is freed only after the generator stops
            {
                var outcome = await generation;
                if (!delivered) stats.OnDiscarded(outcome.CompletionTokens);
            }
            catch (GenerationCancelledException e) { stats.OnDiscarded(e.Tokens); }
            catch (Exception) { /* reported above */ }
        }
    }

    /// <summary>Runs a blocking generation on its own thread (not the request's pool thread).</summary>
    static Task<T> OffThread<T>(Func<T> work) =>
        Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    static async Task Event(HttpContext ctx, JsonObject data, CancellationToken cancel)
    {
        await ctx.Response.WriteAsync("data: " + data.ToJsonString() + "\n\n", cancel);
        await ctx.Response.Body.FlushAsync(cancel);
    }

    static async Task WriteJson(HttpContext ctx, int status, JsonObject body)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        await ctx.Response.WriteAsync(body.ToJsonString());
    }

    internal static Task WriteError(HttpContext ctx, ApiError e) => WriteJson(ctx, e.Status, e.ToJson());
}

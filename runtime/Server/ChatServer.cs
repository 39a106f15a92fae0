using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Toolkit.Runtime.Generation;

namespace Toolkit.Runtime.Server;

/// <summary>
/// An OpenAI-compatible HTTP server (Kestrel) over one model folder: POST /v1/chat/completions (JSON, or server-sent
/// events when stream is true), GET /v1/models, GET /health. Bound to 127.0.0.1 unless told otherwise; optional API
/// key; bounded concurrency with a bounded queue (<see cref="Admission"/>, 429 when full). Stopping
/// (<see cref="StopAsync"/>, SIGTERM, Ctrl-C) refuses new connections, lets requests in flight and in the queue
/// finish (up to <see cref="ServeOptions.ShutdownTimeout"/>), then returns.
/// <code>
/// await using var server = await ChatServer.StartAsync(new ServeOptions { Model = dir, Port = 0 });
/// // clients use server.BaseAddress + "v1" ...
/// await server.StopAsync();
/// </code>
/// </summary>
public sealed class ChatServer : IAsyncDisposable
{
    readonly WebApplication _app;
    readonly Model? _ownedModel;

    ChatServer(WebApplication app, Model? ownedModel, ChatEngine engine, AdmissionQueue admission, ServerStats stats, string modelName, Uri baseAddress)
    {
        _app = app;
        _ownedModel = ownedModel;
        Engine = engine;
        Admission = admission;
        Stats = stats;
        ModelName = modelName;
        BaseAddress = baseAddress;
    }

    /// <summary>The address it listens on, e.g. http://127.0.0.1:8000/ (the port resolved when 0 was asked for). OpenAI clients take BaseAddress + "v1".</summary>
    public Uri BaseAddress { get; }

    /// <summary>The model name clients pass and /v1/models lists.</summary>
    public string ModelName { get; }

    /// <summary>The engine generating the answers.</summary>
    public ChatEngine Engine { get; }

    /// <summary>The concurrency limit and its queue (load is visible here and at GET /health).</summary>
    public AdmissionQueue Admission { get; }

    /// <summary>Counters since start.</summary>
    public ServerStats Stats { get; }

    /// <summary>
    /// Loads <paramref name="options"/>.Model (unless <paramref name="model"/> is given: then it is used and not
    /// disposed) and starts listening. <paramref name="log"/> receives warnings (e.g. bound beyond loopback) and
    /// ASP.NET Core's own log at <paramref name="logLevel"/> and above goes to the console.
    /// </summary>
    public static async Task<ChatServer> StartAsync(ServeOptions options, Model? model = null, Action<string>? log = null,
        LogLevel logLevel = LogLevel.Warning, CancellationToken cancel = default)
    {
        options.Validate();
        log ??= Console.Error.WriteLine;
        if (model is null) Toolkit.Core.Onnx.GenAiGraphCheck.Validate(options.Model);   // refuse to start on a folder that cannot be served
        var owned = model is null ? new Model(options.Model, options.Threads, options.Device) : null;
        model ??= owned!;
        try
        {
            var engine = new ChatEngine(model);
            var name = options.ModelName ?? Path.GetFileName(model.Folder.TrimEnd(Path.DirectorySeparatorChar));
            var created = new DateTimeOffset(Directory.GetLastWriteTimeUtc(model.Folder)).ToUnixTimeSeconds();
            var admission = new AdmissionQueue(options.MaxConcurrency, options.MaxQueue);
            var stats = new ServerStats();

            var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
            builder.Logging.ClearProviders();
            builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(logLevel);
            builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = options.ShutdownTimeout);
            builder.Services.Configure<ConsoleLifetimeOptions>(c => c.SuppressStatusMessages = true);
            builder.WebHost.UseKestrel(k =>
            {
                k.AddServerHeader = false;
                k.Limits.MaxRequestBodySize = options.MaxRequestBytes + 1;   // RequestBody answers 413 in OpenAI's shape first
                if (options.Host == "localhost") k.ListenLocalhost(options.Port);
                else k.Listen(options.Address, options.Port);
            });
            var app = builder.Build();
            var lifetime = app.Services.GetRequiredService<IHostApplicationLifetime>();
            var endpoints = new ChatEndpoints(engine, admission, stats, name, created, options, lifetime, app.Logger);
            app.Use(endpoints.Authorize);
            app.MapPost("/v1/chat/completions", endpoints.ChatCompletions);
            app.MapGet("/v1/models", endpoints.Models);
            app.MapGet("/v1/models/{id}", endpoints.ModelById);
            app.MapGet("/health", endpoints.Health);
            app.MapFallback(endpoints.NotFound);

            if (options.IsExposed)
                log($"WARNING: listening on {options.Host}, which other machines can reach: anyone on the network can use this model" +
                    (string.IsNullOrEmpty(options.ApiKey) ? " WITHOUT AN API KEY. HINT: pass --api-key, or bind to 127.0.0.1" : " (an API key is required)") + ".");
            await app.StartAsync(cancel);
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            return new ChatServer(app, owned, engine, admission, stats, name, new Uri(address.Replace("[::]", "[::1]").Replace("0.0.0.0", "127.0.0.1") + "/"));
        }
        catch
        {
            owned?.Dispose();
            throw;
        }
    }

    /// <summary>Stops gracefully: no new connections; requests in flight and queued finish (up to the shutdown timeout, then they are cut off).</summary>
    public Task StopAsync(CancellationToken cancel = default) => _app.StopAsync(cancel);

    /// <summary>Completes when the server has been stopped (by <see cref="StopAsync"/>, SIGTERM or Ctrl-C).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancel = default) => _app.WaitForShutdownAsync(cancel);

    /// <summary>Stops (if still running) and releases the host and the model it loaded.</summary>
    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        _ownedModel?.Dispose();
    }
}

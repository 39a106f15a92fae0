using System.ClientModel;
using Microsoft.Extensions.AI;
using OpenAI;
using Toolkit.Runtime.Server;

namespace Toolkit.Evaluate.Clients;

/// <summary>
/// The one place that turns <c>--model</c> into an <see cref="IChatClient"/>:
/// <list type="bullet">
/// <item>an http(s) URL → an OpenAI-compatible endpoint through Microsoft.Extensions.AI.OpenAI (key from the
/// environment variable <see cref="ClientOptions.ApiKeyEnv"/>), wrapped in <see cref="ResilientChatClient"/>;</item>
/// <item>a folder → a local ONNX model. Until the runtime's own <c>LocalChatClient</c> (issue 10) lands, this starts
/// the in-process OpenAI-compatible server (<see cref="ChatServer"/>) on 127.0.0.1 with a free port and talks to it
/// through the same OpenAI client; disposing the returned client stops the server. MERGE: replace the body of
/// <see cref="OpenFolderAsync"/> with <c>new LocalChatClient(folder)</c>.</item>
/// </list>
/// </summary>
public static class ChatClients
{
    /// <summary>Opens <paramref name="model"/> (URL or folder). The caller disposes the client.</summary>
    /// <exception cref="ArgumentException">neither a URL nor an existing folder.</exception>
    public static async Task<IChatClient> OpenAsync(string model, ClientOptions options, CancellationToken cancel = default)
    {
        options.Validate();
        if (Uri.TryCreate(model, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps))
            return await OpenEndpointAsync(uri, Environment.GetEnvironmentVariable(options.ApiKeyEnv) ?? "EMPTY", options, cancel);
        if (Directory.Exists(model)) return await OpenFolderAsync(model, options, cancel);
        throw new ArgumentException($"--model {model}: neither an http(s) URL nor an existing folder. HINT: pass an ONNX model folder (from `toolkit export`) or an OpenAI-compatible base URL such as http://127.0.0.1:8000/v1");
    }

    /// <summary>An OpenAI-compatible endpoint at <paramref name="baseUrl"/> (…/v1); the model name is asked of GET /v1/models when not given.</summary>
    public static async Task<IChatClient> OpenEndpointAsync(Uri baseUrl, string apiKey, ClientOptions options, CancellationToken cancel = default)
    {
        var openai = new OpenAIClient(new ApiKeyCredential(apiKey), new OpenAIClientOptions { Endpoint = baseUrl, NetworkTimeout = TimeSpan.FromSeconds(options.RequestTimeoutSeconds), RetryPolicy = new System.ClientModel.Primitives.ClientRetryPolicy(0) });
        var name = options.ModelName;
        if (name is null)
        {
            try
            {
                var models = await openai.GetOpenAIModelClient().GetModelsAsync(cancel);
                name = models.Value.FirstOrDefault()?.Id ?? throw new ArgumentException($"{baseUrl}: GET /models lists no model. HINT: pass --model-name");
            }
            catch (Exception e) when (e is ClientResultException or HttpRequestException)
            {
                throw new ArgumentException($"{baseUrl}: cannot list models ({e.Message}). HINT: check the URL (it ends in /v1) and the key in ${options.ApiKeyEnv}, or pass --model-name", e);
            }
        }
        return new ResilientChatClient(openai.GetChatClient(name).AsIChatClient(), options);
    }

    /// <summary>A local ONNX model folder, served in-process on loopback (see the class remarks).</summary>
    public static async Task<IChatClient> OpenFolderAsync(string folder, ClientOptions options, CancellationToken cancel = default)
    {
        var key = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        var server = await ChatServer.StartAsync(new ServeOptions { Model = folder, Port = 0, ApiKey = key, MaxConcurrency = options.MaxConcurrency, MaxQueue = 1024 },
            log: _ => { }, cancel: cancel);
        try
        {
            var inner = await OpenEndpointAsync(new Uri(server.BaseAddress, "v1"), key, options with { ModelName = server.ModelName }, cancel);
            return new ServerChatClient(inner, server);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>A client that owns the in-process server behind it.</summary>
    sealed class ServerChatClient(IChatClient inner, ChatServer server) : DelegatingChatClient(inner)
    {
        protected override void Dispose(bool disposing)
        {
            base.Dispose(disposing);
            if (disposing) server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }
}

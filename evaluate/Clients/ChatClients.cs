using System.ClientModel;
using Microsoft.Extensions.AI;
using OpenAI;
using Toolkit.Runtime.Generation;

namespace Toolkit.Evaluate.Clients;

/// <summary>
/// The one place that turns <c>--model</c> into an <see cref="IChatClient"/>:
/// <list type="bullet">
/// <item>an http(s) URL → an OpenAI-compatible endpoint through Microsoft.Extensions.AI.OpenAI (key from the
/// environment variable <see cref="ClientOptions.ApiKeyEnv"/>), wrapped in <see cref="ResilientChatClient"/>;</item>
/// <item>with <see cref="ClientOptions.Endpoints"/>: an <see cref="EndpointPool"/> over <c>--model</c> and every
/// <c>--endpoint</c>, each opened as above;</item>
/// <item>a folder → a local ONNX model on ORT-GenAI through the runtime's <see cref="LocalChatClient"/>; disposing the
/// returned client unloads the model.</item>
/// </list>
/// </summary>
public static class ChatClients
{
    /// <summary>Opens <paramref name="model"/> (URL or folder). The caller disposes the client.</summary>
    /// <exception cref="ArgumentException">neither a URL nor an existing folder.</exception>
    public static async Task<IChatClient> OpenAsync(string model, ClientOptions options, CancellationToken cancel = default)
    {
        options.Validate();
        if (options.Endpoints.Count > 0)
        {
            var single = options with { Endpoints = [] };
            var opened = new List<(string, IChatClient)>();
            try
            {
                foreach (var m in new[] { model }.Where(m => m.Length > 0).Concat(options.Endpoints).Distinct())
                    opened.Add((m, await OpenAsync(m, single, cancel)));
            }
            catch
            {
                foreach (var (_, c) in opened) c.Dispose();
                throw;
            }
            return new EndpointPool(opened, options.MaxConcurrency);
        }
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

    /// <summary>
    /// A local ONNX model folder on ONNX Runtime GenAI through the runtime's <see cref="LocalChatClient"/> (our chat
    /// template, stop strings; thread-safe), checked first as `serve` checks it (genai_config.json against the graph),
    /// and wrapped in <see cref="ResilientChatClient"/> for the same bounded concurrency as an endpoint.
    /// </summary>
    public static Task<IChatClient> OpenFolderAsync(string folder, ClientOptions options, CancellationToken cancel = default)
    {
        cancel.ThrowIfCancellationRequested();
        Toolkit.Core.Onnx.GenAiGraphCheck.Validate(folder);
        IChatClient local = new LocalChatClient(folder, new DecodingSettings());
        return Task.FromResult<IChatClient>(new ResilientChatClient(local, options));
    }
}

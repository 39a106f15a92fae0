using System.ClientModel;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using OpenAI;
using OpenAI.Chat;
using Toolkit.Export.Tests.Generation;
using Toolkit.Runtime.Generation;
using Toolkit.Runtime.Server;

namespace Toolkit.Export.Tests.Server;

/// <summary>The exported tiny chat model (GenerationFixture) loaded once for every server test.</summary>
public sealed class ServerFixture : IDisposable
{
    readonly GenerationFixture _export = new();

    /// <summary>The model folder.</summary>
    public string Folder => _export.Folder;

    /// <summary>The loaded model every test server shares (a test server does not dispose it).</summary>
    public Model Model { get; }

    public ServerFixture() => Model = new Model(_export.Folder, intraOpThreads: 2);

    public void Dispose()
    {
        Model.Dispose();
        _export.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class ServerCollection : ICollectionFixture<ServerFixture>
{
    public const string Name = "server";
}

/// <summary>Starting test servers on a free loopback port and talking to them with the OpenAI client or raw HTTP.</summary>
internal static class ServerKit
{
    public const string Key = "sk-test-0123456789";

    /// <summary>Questions the tests ask (different prompts give different greedy answers, so a mix-up shows).</summary>
    public static readonly string[] Questions =
    [
        "What is 2+2?", "The capital of France is", "Hello! How can I help you today?", "一加一等于几？", "cat dog apple house",
        "The sky is blue and", "Translate to Chinese: 猫 狗", "Sorry, I can't help", "What is the answer?", "你好！",
        "tree water café", "The grass is green.", "How can I help?", "答案是二。", "naïve €100", "user assistant system",
    ];

    /// <summary>A server over the fixture's model on 127.0.0.1, port chosen by the OS, with the test API key.</summary>
    public static Task<ChatServer> Start(ServerFixture f, Func<ServeOptions, ServeOptions>? edit = null)
    {
        var options = new ServeOptions { Model = f.Folder, Port = 0, ApiKey = Key, MaxConcurrency = 4, MaxQueue = 32, ShutdownTimeout = TimeSpan.FromSeconds(20) };
        return ChatServer.StartAsync(edit?.Invoke(options) ?? options, f.Model, log: _ => { });
    }

    /// <summary>The OpenAI .NET client pointed at <paramref name="server"/>, unchanged but for the endpoint.</summary>
    public static ChatClient Client(ChatServer server, string key = Key) =>
        new(server.ModelName, new ApiKeyCredential(key), new OpenAIClientOptions { Endpoint = new Uri(server.BaseAddress, "v1") });

    public static HttpClient Http(ChatServer server, string? key = Key)
    {
        var http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        if (key is not null) http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return http;
    }

    /// <summary>A chat request body with one user turn, greedy, <paramref name="maxTokens"/> at most; <paramref name="edit"/> changes fields.</summary>
    public static JsonObject Body(ChatServer server, string question, int maxTokens = 24, bool stream = false, Action<JsonObject>? edit = null)
    {
        var body = new JsonObject
        {
            ["model"] = server.ModelName,
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = question }),
            ["max_completion_tokens"] = maxTokens,
            ["temperature"] = 0,
            ["stream"] = stream,
        };
        edit?.Invoke(body);
        return body;
    }

    public static StringContent Json(JsonNode body) => new(body.ToJsonString(), Encoding.UTF8, "application/json");

    /// <summary>The answer the engine gives without any server: the Generation helper's own loop, greedy, same template and limit.</summary>
    public static string Direct(Model model, string question, int maxTokens = 24) =>
        model.Generate([question], new GenerationOptions
        {
            Search = new DecodingSettings { DoSample = false, MaxNewTokens = maxTokens, MaxLength = model.ContextLength },
        })[0].Text;

    /// <summary>Reads an SSE response to the end: the data payloads in order (the last is "[DONE]" when it ended properly).</summary>
    public static async Task<List<string>> Events(HttpResponseMessage response, CancellationToken cancel = default)
    {
        var events = new List<string>();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancel));
        while (await reader.ReadLineAsync(cancel) is { } line)
            if (line.StartsWith("data: ", StringComparison.Ordinal)) events.Add(line["data: ".Length..]);
        return events;
    }

    /// <summary>The content of a streamed answer: the delta.content pieces joined.</summary>
    public static string Text(IEnumerable<string> events) => string.Concat(events.Where(e => e != "[DONE]")
        .Select(e => JsonNode.Parse(e)!["choices"]!.AsArray().FirstOrDefault()?["delta"]?["content"]?.GetValue<string>() ?? ""));

    /// <summary>Polls <paramref name="condition"/> every 10 ms for up to <paramref name="seconds"/>.</summary>
    public static async Task<bool> Eventually(Func<bool> condition, double seconds = 10)
    {
        var until = DateTime.UtcNow.AddSeconds(seconds);
        while (DateTime.UtcNow < until)
        {
            if (condition()) return true;
            await Task.Delay(10);
        }
        return condition();
    }

    /// <summary>The error object of an OpenAI-style error body, checked for its four fields.</summary>
    public static async Task<JsonObject> Error(HttpResponseMessage response)
    {
        Assert.StartsWith("application/json", response.Content.Headers.ContentType?.ToString());
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!.AsObject();
        foreach (var field in new[] { "message", "type", "param", "code" }) Assert.True(error.ContainsKey(field), $"error body lacks '{field}': {error}");
        Assert.False(string.IsNullOrWhiteSpace(error["message"]?.GetValue<string>()));
        return error;
    }
}

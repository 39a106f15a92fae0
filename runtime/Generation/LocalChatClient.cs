using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.AI;
using TemplateMessage = Toolkit.Core.Templates.ChatMessage;

namespace Toolkit.Runtime.Generation;

/// <summary>
/// <see cref="IChatClient"/> over a local ONNX model folder on ORT-GenAI: the folder's chat template (ours,
/// core/Templates) renders the messages, <see cref="Generator"/> generates (stop strings matched on the decoded text
/// across tokens, never part of one in the answer; EOS never emitted twice, unlike the IChatClient that ships with
/// ORT-GenAI 0.18). Multi-turn message lists are rendered whole each call.
///
/// ChatOptions map onto <see cref="DecodingSettings"/> over the client's defaults: Temperature (0 = greedy, &gt; 0 =
/// sampling at that temperature), TopP (sampling; ≥ 1 = off), TopK (sampling), MaxOutputTokens (max_new_tokens), Seed
/// (random_seed), StopSequences (stop strings), Instructions (a system message first). Other options are ignored.
/// Thread-safe: calls may run at once, each with its own generator over the shared model.
/// </summary>
public sealed class LocalChatClient : IChatClient
{
    readonly Model _model;
    readonly bool _ownsModel;
    readonly Tokenizer _tokenizer;
    readonly DecodingSettings _defaults;
    readonly ChatClientMetadata _metadata;

    /// <summary>A client over the model folder <paramref name="modelFolder"/> (loaded here, on the CPU, with the folder's thread setting).</summary>
    /// <param name="modelFolder">A folder written by <c>toolkit export</c> (genai_config.json, model.onnx, tokenizer files with a chat template).</param>
    /// <param name="defaults">Decoding settings for every call, over the folder's genai_config.json search defaults; ChatOptions override them per call.</param>
    /// <exception cref="GenerationException">The folder does not load, or has no chat template.</exception>
    public LocalChatClient(string modelFolder, DecodingSettings defaults) : this(new Model(modelFolder), defaults, ownsModel: true) { }

    /// <summary>A client over an already loaded <paramref name="model"/> (not disposed with the client unless <paramref name="ownsModel"/>).</summary>
    public LocalChatClient(Model model, DecodingSettings defaults, bool ownsModel = false)
    {
        _model = model;
        _ownsModel = ownsModel;
        _defaults = defaults;
        _tokenizer = new Tokenizer(model);
        if (!_tokenizer.HasChatTemplate)
        {
            if (ownsModel) model.Dispose();
            throw new GenerationException($"'{model.TokenizerFolder}' has no chat template, so chat messages cannot be rendered. HINT: use a chat model folder (tokenizer_config.json with chat_template)");
        }
        var name = Path.GetFileName(model.Folder.TrimEnd(Path.DirectorySeparatorChar));
        _metadata = new ChatClientMetadata("toolkit-ort-genai", new Uri("file://" + model.Folder), name);
    }

    /// <summary>The model generating the answers.</summary>
    public Model Model => _model;

    /// <inheritdoc />
    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        await GetStreamingResponseAsync(messages, options, cancellationToken).ToChatResponseAsync(cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var ids = Encode(messages, options);
        var p = new GeneratorParams(_model) { TrackText = true };
        p.Apply(_defaults.With(Settings(options)));
        var responseId = Guid.NewGuid().ToString("N");
        var created = DateTimeOffset.UtcNow;
        var pieces = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var run = Task.Run(() =>
        {
            try
            {
                using var generator = new Generator(_model, p);
                generator.AppendTokens(ids);
                while (!generator.IsDone())
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    generator.GenerateNextToken();
                    if (generator.TakeNewText(0) is { Length: > 0 } piece) pieces.Writer.TryWrite(piece);
                }
                if (generator.TakeNewText(0) is { Length: > 0 } rest) pieces.Writer.TryWrite(rest);
                return (generator.GetFinishReason(0), generator.GetGeneratedTokens(0).Length);
            }
            finally
            {
                pieces.Writer.TryComplete();
            }
        }, cancellationToken);

        await foreach (var piece in pieces.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            yield return new ChatResponseUpdate(ChatRole.Assistant, piece) { ResponseId = responseId, CreatedAt = created, ModelId = _metadata.DefaultModelId };
        var (finish, generated) = await run.ConfigureAwait(false);
        yield return new ChatResponseUpdate
        {
            Role = ChatRole.Assistant, ResponseId = responseId, CreatedAt = created, ModelId = _metadata.DefaultModelId,
            FinishReason = finish == FinishReason.Length ? ChatFinishReason.Length : ChatFinishReason.Stop,
            Contents = [new UsageContent(new UsageDetails { InputTokenCount = ids.Length, OutputTokenCount = generated, TotalTokenCount = ids.Length + generated })],
        };
    }

    /// <summary>The conversation rendered by the folder's chat template (with the assistant's generation prompt) and encoded.</summary>
    int[] Encode(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        var list = new List<TemplateMessage>();
        if (options?.Instructions is { Length: > 0 } instructions) list.Add(TemplateMessage.System(instructions));
        foreach (var m in messages)
            list.Add(new TemplateMessage(m.Role.Value, System.Text.Json.Nodes.JsonValue.Create(m.Text)));
        if (list.Count == 0) throw new ArgumentException("no messages to answer", nameof(messages));
        var ids = _tokenizer.Encode(_tokenizer.ApplyChatTemplate(list, addGenerationPrompt: true));
        if (ids.Length >= _model.ContextLength)
            throw new GenerationException($"the messages take {ids.Length} tokens; the model's context length is {_model.ContextLength}. HINT: shorten the conversation");
        return ids;
    }

    /// <summary>ChatOptions as decoding settings (null fields keep the client's defaults).</summary>
    internal DecodingSettings Settings(ChatOptions? o) => new()
    {
        MaxLength = _defaults.MaxLength ?? _model.ContextLength,
        MaxNewTokens = o?.MaxOutputTokens,
        DoSample = o?.Temperature is { } t ? t > 0 : o?.TopP is not null || o?.TopK is not null ? true : null,
        Temperature = o?.Temperature is > 0 ? o.Temperature : null,
        TopP = o?.TopP is { } tp ? (tp >= 1 ? 0 : tp) : null,
        TopK = o?.TopK,
        RandomSeed = o?.Seed,
        StopStrings = o?.StopSequences is { Count: > 0 } stops ? [.. stops] : null,
    };

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is not null ? null
        : serviceType == typeof(ChatClientMetadata) ? _metadata
        : serviceType.IsInstanceOfType(this) ? this
        : serviceType == typeof(Model) ? _model
        : null;

    /// <summary>Disposes the model when the client owns it.</summary>
    public void Dispose()
    {
        if (_ownsModel) _model.Dispose();
    }
}

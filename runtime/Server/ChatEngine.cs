using Toolkit.Core.Templates;
using Toolkit.Runtime.Generation;

namespace Toolkit.Runtime.Server;

/// <summary>A request made ready to run: the prompt's ids and the generator's parameters (already checked).</summary>
/// <param name="PromptIds">The conversation rendered by the chat template and encoded.</param>
/// <param name="Params">Search options: the folder's defaults overridden by the request.</param>
public sealed record PreparedChat(int[] PromptIds, GeneratorParams Params);

/// <summary>What a finished generation gave.</summary>
/// <param name="Text">The answer (special tokens skipped, cut before a stop string).</param>
/// <param name="Finish">Why it ended.</param>
/// <param name="PromptTokens">Tokens of the rendered conversation.</param>
/// <param name="CompletionTokens">Tokens generated (the EOS token included when it ended so).</param>
public sealed record ChatOutcome(string Text, FinishReason Finish, int PromptTokens, int CompletionTokens)
{
    /// <summary>OpenAI's finish_reason: "length" when a token limit ended it, else "stop".</summary>
    public string FinishReasonName => Finish == FinishReason.Length ? "length" : "stop";
}

/// <summary>
/// Chat completions over one loaded <see cref="Model"/>: the folder's chat template renders the messages, the request's
/// sampling fields override the folder's search defaults (genai_config.json), and one <see cref="Generator"/> per
/// request produces the answer, streaming whole characters.
///
/// Sharing and concurrency (the choice, and why): every request shares the one Model — one ONNX Runtime session,
/// whose Run is thread-safe — and gets its own Generator (own KV cache and IO binding), run on its own thread; the
/// <see cref="AdmissionQueue"/> bounds how many run at once. Requests are not batched together: the engine's batch
/// starts all its rows at once and cannot take a new row mid-flight (no continuous batching), while each request
/// brings its own seed, temperature, stop strings and length, and must stop alone when its client disconnects.
/// Separate generators keep all of that per request and need nothing new from the engine. The price: weights are
/// read once per request per token instead of once per batch, so aggregate decode throughput on this memory-bound
/// CPU grows less than linearly with concurrency (the server tests print the numbers). A continuous-batching
/// scheduler over a batch-capable generator is the way to more throughput.
/// </summary>
public sealed class ChatEngine
{
    readonly Model _model;
    readonly Tokenizer _tokenizer;

    /// <summary>An engine over <paramref name="model"/>, whose folder must have a chat template.</summary>
    public ChatEngine(Model model)
    {
        _model = model;
        _tokenizer = new Tokenizer(model);
        if (!_tokenizer.HasChatTemplate)
            throw new GenerationException($"'{model.TokenizerFolder}' has no chat template, so chat messages cannot be rendered. " +
                "HINT: serve a chat model folder (tokenizer_config.json with chat_template), or add one");
    }

    /// <summary>The model served.</summary>
    public Model Model => _model;

    /// <summary>Renders and encodes <paramref name="r"/>'s messages and sets up its search options; a request that cannot run throws <see cref="ApiError"/> 400.</summary>
    public PreparedChat Prepare(ChatRequest r)
    {
        string prompt;
        try { prompt = _tokenizer.ApplyChatTemplate(null, r.Messages.ToJsonString(), null, addGenerationPrompt: true, r.ChatTemplateKwargs); }
        catch (Exception e) when (e is TemplateException or GenerationException)
        {
            throw ApiError.BadRequest("messages", $"the model's chat template refused these messages: {e.Message}");
        }
        var ids = _tokenizer.Encode(prompt);
        var context = _model.ContextLength;
        if (ids.Length == 0) throw ApiError.BadRequest("messages", "the messages render to no tokens");
        if (ids.Length >= context)
            throw ApiError.BadRequest("messages", $"the messages take {ids.Length} tokens; this model's context length is {context} (room is needed for at least one generated token). HINT: shorten the conversation", "context_length_exceeded");
        if (r.MaxTokens is { } max && ids.Length + max > context)
            throw ApiError.BadRequest("max_tokens", $"this model's context length is {context} tokens, but {ids.Length + max} were requested ({ids.Length} in the messages, {max} for the completion). HINT: lower max_completion_tokens to {context - ids.Length} or less", "context_length_exceeded");
        if (ids.Length + r.MinTokens > context)
            throw ApiError.BadRequest("min_tokens", $"min_tokens {r.MinTokens} does not fit: the messages take {ids.Length} of {context} tokens", "context_length_exceeded");

        var p = new GeneratorParams(_model) { TrackText = true };
        p.Apply(Settings(r, ids.Length, context));
        try { p.Search.Validate(context); }
        catch (GenerationException e) { throw ApiError.BadRequest("body", e.Message); }
        return new PreparedChat(ids, p);
    }

    /// <summary>The request's sampling fields as the engine's typed settings (null fields keep the folder's defaults).</summary>
    static DecodingSettings Settings(ChatRequest r, int promptTokens, int context) => new()
    {
        MaxLength = context,
        MaxNewTokens = r.MaxTokens,
        MinLength = r.MinTokens > 0 ? promptTokens + r.MinTokens : null,
        // temperature 0 means greedy; asking for a nucleus or top-k without a temperature means sampling
        DoSample = r.Temperature is { } t ? t > 0 : r.TopP is not null || r.TopK is not null ? true : null,
        Temperature = r.Temperature is > 0 ? r.Temperature : null,
        TopP = r.TopP is { } tp ? (tp >= 1 ? 0 : tp) : null,   // the engine's "off" is 0
        TopK = r.TopK,
        RandomSeed = r.Seed,
        RepetitionPenalty = r.RepetitionPenalty,
        StopStrings = r.Stop.Count > 0 ? r.Stop : null,
    };

    /// <summary>
    /// Generates the answer to <paramref name="chat"/>, calling <paramref name="onText"/> with each new piece of text.
    /// Blocks (run it off the request thread). <paramref name="cancel"/> is checked before every token: a cancelled
    /// request stops within one decode step and throws <see cref="GenerationCancelledException"/>.
    /// </summary>
    public ChatOutcome Run(PreparedChat chat, Action<string> onText, CancellationToken cancel)
    {
        if (cancel.IsCancellationRequested) throw new GenerationCancelledException(0, cancel);
        using var generator = new Generator(_model, chat.Params);
        generator.AppendTokens(chat.PromptIds);   // prefill
        while (!generator.IsDone())
        {
            if (cancel.IsCancellationRequested) throw new GenerationCancelledException(generator.GetGeneratedTokens(0).Length, cancel);
            generator.GenerateNextToken();
            if (generator.TakeNewText(0) is { Length: > 0 } piece) onText(piece);
        }
        if (generator.TakeNewText(0) is { Length: > 0 } rest) onText(rest);
        return new ChatOutcome(generator.GetText(0), generator.GetFinishReason(0), chat.PromptIds.Length, generator.GetGeneratedTokens(0).Length);
    }
}

/// <summary>A generation stopped by its cancellation token (client gone, server cut off), after <see cref="Tokens"/> tokens.</summary>
public sealed class GenerationCancelledException(int tokens, CancellationToken token)
    : OperationCanceledException($"generation cancelled after {tokens} tokens", token)
{
    /// <summary>Tokens generated before it stopped.</summary>
    public int Tokens { get; } = tokens;
}

using Toolkit.Core.Templates;

namespace Toolkit.Runtime.Generation;

/// <summary>Settings of <see cref="Model.Generate"/> beyond the search options.</summary>
public sealed record GenerationOptions
{
    /// <summary>Decoding settings over the folder's defaults (stop strings included).</summary>
    public DecodingSettings Search { get; init; } = new();

    /// <summary>
    /// Wrap each prompt as one user turn in the folder's chat template (default true when the folder has one); false =
    /// the prompt is raw text, encoded with the tokenizer's special tokens (BOS).
    /// </summary>
    public bool? ChatTemplate { get; init; }

    /// <summary>A system message put before each prompt when the chat template is used (null = none).</summary>
    public string? SystemPrompt { get; init; }

    /// <summary>Extra chat-template variables (e.g. enable_thinking = false for Qwen3); null = none.</summary>
    public IReadOnlyDictionary<string, object?>? TemplateVariables { get; init; }

    /// <summary>Prompts generated together (default 1: no padding; larger batches trade latency for throughput).</summary>
    public int BatchSize { get; init; } = 1;

    /// <summary>Called with (prompt index, text piece) as text is generated: whole characters, stop strings withheld.</summary>
    public Action<int, string>? OnText { get; init; }
}

/// <summary>One answer.</summary>
/// <param name="Prompt">The prompt as given.</param>
/// <param name="Text">The generated text (special tokens skipped, cut before a stop string).</param>
/// <param name="Tokens">The generated token ids (EOS included when it ended so).</param>
/// <param name="PromptTokens">Tokens the prompt took after templating.</param>
/// <param name="Finish">Why it stopped.</param>
public sealed record GenerationResult(string Prompt, string Text, int[] Tokens, int PromptTokens, FinishReason Finish);

/// <summary>The convenience loop: prompts in, answers out, in batches, optionally streaming.</summary>
public static class TextGeneration
{
    /// <summary>Generates one answer per prompt of <paramref name="prompts"/>, in order.</summary>
    public static IReadOnlyList<GenerationResult> Generate(Model model, IReadOnlyList<string> prompts, GenerationOptions options)
    {
        if (options.BatchSize < 1) throw new GenerationException($"batch size {options.BatchSize} must be ≥ 1");
        var tokenizer = new Tokenizer(model);
        var useTemplate = options.ChatTemplate ?? tokenizer.HasChatTemplate;
        var encoded = prompts.Select(p => Encode(tokenizer, p, useTemplate, options.SystemPrompt, options.TemplateVariables)).ToArray();
        var results = new GenerationResult[prompts.Count];
        for (var start = 0; start < prompts.Count; start += options.BatchSize)
        {
            var count = Math.Min(options.BatchSize, prompts.Count - start);
            var p = new GeneratorParams(model) { TrackText = true };
            p.Apply(options.Search);
            using var generator = new Generator(model, p);
            generator.AppendTokenSequences(encoded.Skip(start).Take(count).ToArray());
            while (!generator.IsDone())
            {
                generator.GenerateNextToken();
                if (options.OnText is { } onText)
                    for (var i = 0; i < count; i++)
                        if (generator.TakeNewText(i) is { Length: > 0 } piece) onText(start + i, piece);
            }
            for (var i = 0; i < count; i++)
            {
                if (options.OnText is { } onText && generator.TakeNewText(i) is { Length: > 0 } rest) onText(start + i, rest);
                results[start + i] = new GenerationResult(prompts[start + i], generator.GetText(i), generator.GetGeneratedTokens(i).ToArray(),
                    encoded[start + i].Length, generator.GetFinishReason(i));
            }
        }
        return results;
    }

    /// <summary>A prompt's ids: as one user turn of the chat template (no special tokens added: the template has them), or raw text with them.</summary>
    public static int[] Encode(Tokenizer tokenizer, string prompt, bool chatTemplate, string? systemPrompt = null,
        IReadOnlyDictionary<string, object?>? templateVariables = null)
    {
        if (!chatTemplate) return tokenizer.Encode(prompt, addSpecialTokens: true);
        var messages = new List<ChatMessage>();
        if (systemPrompt is not null) messages.Add(ChatMessage.System(systemPrompt));
        messages.Add(ChatMessage.User(prompt));
        return tokenizer.Encode(tokenizer.ApplyChatTemplate(messages, addGenerationPrompt: true, templateVariables));
    }
}

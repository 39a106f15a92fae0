using Toolkit.Core.Templates;

namespace Toolkit.Train.Data;

/// <summary>The form of a data file, decided from its first valid row.</summary>
public enum DataForm
{
    /// <summary>TRL standard: <c>{prompt, chosen, rejected}</c> as strings (no chat template).</summary>
    StandardPair,
    /// <summary>TRL conversational: <c>{prompt, chosen, rejected}</c> as message lists.</summary>
    ConversationalPair,
    /// <summary>TRL implicit prompt: only <c>{chosen, rejected}</c> (strings or message lists); the prompt is their shared prefix.</summary>
    ImplicitPair,
    /// <summary>LLaMA-Factory ranking: <c>{instruction, input, output: [chosen, rejected]}</c> (+ optional system, history).</summary>
    RankingPair,
    /// <summary>Unpaired, for KTO: <c>{prompt, completion, label: bool}</c> (strings or message lists).</summary>
    Unpaired,
    /// <summary>SFT conversations: <c>{messages}</c>; every assistant turn is trained.</summary>
    SftMessages,
    /// <summary>SFT prompt/completion: <c>{prompt, completion}</c> (strings or message lists).</summary>
    SftPromptCompletion,
    /// <summary>LLaMA-Factory alpaca SFT: <c>{instruction, input?, output, system?, history?}</c>.</summary>
    AlpacaSft,
    /// <summary>LLaMA-Factory alpaca preference: <c>{instruction, input?, chosen, rejected, system?, history?}</c>.</summary>
    AlpacaPair,
    /// <summary>LLaMA-Factory alpaca KTO: <c>{instruction, input?, output, kto_tag}</c>.</summary>
    AlpacaKto,
    /// <summary>LLaMA-Factory sharegpt SFT: <c>{conversations: [{from, value}], system?, tools?}</c>.</summary>
    ShareGptSft,
    /// <summary>LLaMA-Factory sharegpt / OpenAI preference: <c>{conversations | messages, chosen: turn, rejected: turn}</c>.</summary>
    ShareGptPair,
    /// <summary>LLaMA-Factory sharegpt / OpenAI KTO: <c>{conversations | messages, kto_tag}</c>, the last turn judged.</summary>
    ShareGptKto,
}

/// <summary>What a data form trains (<see cref="RowParser.KindOf"/>).</summary>
public enum DataKind
{
    /// <summary>SFT rows.</summary>
    Sft,
    /// <summary>Preference pairs (dpo, simpo, ipo, orpo).</summary>
    Pairs,
    /// <summary>Unpaired rows with a label (kto).</summary>
    Unpaired,
}

/// <summary>Where a row came from: file and 1-based line (the first line of a multi-line CSV record).</summary>
public readonly record struct RowOrigin(string File, int Line)
{
    /// <inheritdoc/>
    public override string ToString() => $"{File}:{Line}";
}

/// <summary>
/// A prompt or completion: either plain text (standard form, no chat template: texts are concatenated) or chat
/// messages (conversational form: the chat template renders them). Exactly one of the two is set.
/// </summary>
public sealed record Segment
{
    /// <summary>Tool descriptions (a JSON list) handed to the chat template as its <c>tools</c> variable, or null.</summary>
    public System.Text.Json.Nodes.JsonNode? Tools { get; init; }

    /// <summary>Plain text, or null for messages.</summary>
    public string? Text { get; }

    /// <summary>Chat messages, or null for plain text.</summary>
    public IReadOnlyList<ChatMessage>? Messages { get; }

    Segment(string? text, IReadOnlyList<ChatMessage>? messages) { Text = text; Messages = messages; }

    /// <summary>A plain-text segment.</summary>
    public static Segment FromText(string text) => new(text ?? throw new ArgumentNullException(nameof(text)), null);

    /// <summary>A chat segment.</summary>
    public static Segment FromMessages(IReadOnlyList<ChatMessage> messages) => new(null, messages ?? throw new ArgumentNullException(nameof(messages)));

    /// <summary>True for chat messages.</summary>
    public bool IsChat => Messages != null;

    /// <summary>A canonical string for equality and dedupe (role and content of each message, or the text).</summary>
    public string Key => Text ?? string.Join("\u0001", Messages!.Select(m => m.Role + "\u0002" + m.Content?.ToJsonString()));

    /// <summary>True when there is nothing but whitespace to train on.</summary>
    public bool IsBlank => Text != null ? string.IsNullOrWhiteSpace(Text)
        : Messages!.Count == 0 || Messages!.All(m => string.IsNullOrWhiteSpace(MessageReader.TextOf(m)));
}

/// <summary>A preference pair after reading: prompt, chosen and rejected completions (prompt already split off for the implicit form).</summary>
public sealed record PreferenceRow(RowOrigin Origin, Segment Prompt, Segment Chosen, Segment Rejected);

/// <summary>An unpaired (KTO) row: prompt, completion, and whether the completion is desirable.</summary>
public sealed record UnpairedRow(RowOrigin Origin, Segment Prompt, Segment Completion, bool Label);

/// <summary>An SFT row: a prompt and a completion, or (<see cref="Prompt"/> null) a whole conversation in <see cref="Completion"/> whose assistant turns are all trained.</summary>
public sealed record SftRow(RowOrigin Origin, Segment? Prompt, Segment Completion);

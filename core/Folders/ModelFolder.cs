using Toolkit.Core.Templates;
using Toolkit.Core.Tokenizers;

namespace Toolkit.Core.Folders;

/// <summary>
/// The one answer to every convention question about a model (or tokenizer) folder, used by train, export, runtime and
/// the CLI so that no stage decides them by itself:
/// <list type="number">
/// <item>chat template: <c>chat_template.jinja</c> when present (newer transformers save it there, and it wins over the
/// config field when loading), else tokenizer_config.json's <c>chat_template</c>; with the folder's BOS/EOS strings;</item>
/// <item>special ids: BOS, EOS, pad (pad_token, else EOS, else 0, as the trainer and the demo pad);</item>
/// <item>end-of-turn: the special tokens the template writes after an assistant answer (Llama-3's <c>&lt;|eot_id|&gt;</c>),
/// and the stop ids = EOS plus those, which every written folder lists as <c>eos_token_id</c>;</item>
/// <item>the tokenizer files to copy into a written folder.</item>
/// </list>
/// Errors: <see cref="FileNotFoundException"/> without tokenizer.json; the template's parse errors name its file.
/// </summary>
public sealed class ModelFolder
{
    /// <summary>Files that carry the tokenizer and its conventions, copied (when present) into every folder written from this one.</summary>
    public static readonly IReadOnlyList<string> TokenizerFileNames = ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "chat_template.jinja"];

    /// <summary>The folder (full path).</summary>
    public string Folder { get; }

    /// <summary>The folder's tokenizer (tokenizer.json + tokenizer_config.json).</summary>
    public Tokenizer Tokenizer { get; }

    /// <summary>The chat template, or null when the folder has none (base checkpoints).</summary>
    public ChatTemplate? ChatTemplate { get; }

    /// <summary>Where <see cref="ChatTemplate"/> came from: "chat_template.jinja", "tokenizer_config.json" or null.</summary>
    public string? ChatTemplateFile { get; }

    /// <summary>BOS id, or null.</summary>
    public int? BosId => Tokenizer.BosId;

    /// <summary>EOS id, or null.</summary>
    public int? EosId => Tokenizer.EosId;

    /// <summary>The id batches are padded with: pad_token, else EOS, else 0 (padding is masked, so any id works).</summary>
    public int PadId => Tokenizer.PadId ?? Tokenizer.EosId ?? 0;

    /// <summary>Special tokens (other than EOS) that the template writes right after an assistant answer, e.g. Llama-3's &lt;|eot_id|&gt;.</summary>
    public IReadOnlyList<int> EndOfTurnIds { get; }

    /// <summary>The ids generation stops at: EOS, then <see cref="EndOfTurnIds"/> (distinct); what <c>eos_token_id</c> lists.</summary>
    public IReadOnlyList<int> StopIds { get; }

    /// <summary>The <see cref="TokenizerFileNames"/> present in the folder.</summary>
    public IReadOnlyList<string> TokenizerFiles { get; }

    ModelFolder(string folder, Tokenizer tokenizer, ChatTemplate? template, string? templateFile)
    {
        Folder = folder;
        Tokenizer = tokenizer;
        ChatTemplate = template;
        ChatTemplateFile = templateFile;
        EndOfTurnIds = template is null ? [] : EndOfTurn(template, tokenizer);
        StopIds = [.. new[] { tokenizer.EosId }.OfType<int>().Concat(EndOfTurnIds).Distinct()];
        TokenizerFiles = [.. TokenizerFileNames.Where(n => File.Exists(Path.Combine(folder, n)))];
    }

    /// <summary>Resolves <paramref name="folder"/> (it must hold tokenizer.json).</summary>
    public static ModelFolder Open(string folder)
    {
        var full = Path.GetFullPath(folder);
        var tok = Tokenizer.FromFolder(full);
        var (template, file) = ReadTemplate(full, tok);
        return new ModelFolder(full, tok, template, file);
    }

    /// <summary>The chat template of <paramref name="folder"/> and the file it came from (chat_template.jinja first), or (null, null); for callers that already hold the folder's tokenizer.</summary>
    public static (ChatTemplate? Template, string? File) ReadTemplate(string folder, Tokenizer tok)
    {
        var jinja = Path.Combine(folder, "chat_template.jinja");
        var config = Path.Combine(folder, "tokenizer_config.json");
        if (File.Exists(jinja))
        {
            try { return (ChatTemplate.Parse(File.ReadAllText(jinja)).WithSpecialTokens(tok.BosToken, tok.EosToken), "chat_template.jinja"); }
            catch (TemplateException e) { throw new TemplateException($"{jinja}: {e.Message}", 0, 0, null, e); }
        }
        if (tok.ChatTemplate is not null && File.Exists(config)) return (ChatTemplate.FromTokenizerConfig(config), "tokenizer_config.json");
        return (null, null);
    }

    /// <summary>EOS then the end-of-turn ids of <paramref name="template"/> (e.g. the tiny preset's, for a folder without one).</summary>
    public static IReadOnlyList<int> StopIdsOf(Tokenizer tok, ChatTemplate? template) =>
        [.. new[] { tok.EosId }.OfType<int>().Concat(template is null ? [] : EndOfTurn(template, tok)).Distinct()];

    /// <summary>The special token (not EOS) the template writes right after an assistant answer, as a list of 0 or 1 ids.</summary>
    static IReadOnlyList<int> EndOfTurn(ChatTemplate template, Tokenizer tok)
    {
        const string marker = "\u2063probe-answer\u2063";
        string text;
        try { text = template.Render([ChatMessage.User("q"), ChatMessage.Assistant(marker)], false); }
        catch (TemplateException) { return []; }                           // templates that refuse this shape name no end-of-turn
        var at = text.IndexOf(marker, StringComparison.Ordinal);
        if (at < 0) return [];
        // the first special token after the answer (whitespace skipped) ends the turn; what follows is the next turn
        foreach (var id in tok.Encode(text[(at + marker.Length)..], addSpecialTokens: false))
        {
            if (tok.IsSpecial(id)) return id == tok.EosId ? [] : [id];
            if (!string.IsNullOrWhiteSpace(tok.Decode([id], cleanUpTokenizationSpaces: false))) break;
        }
        return [];
    }

    /// <summary>Copies <see cref="TokenizerFiles"/> into <paramref name="destination"/> (skipping itself); returns the names copied.</summary>
    public IReadOnlyList<string> CopyTokenizerFiles(string destination)
    {
        var copied = new List<string>();
        foreach (var name in TokenizerFiles)
        {
            var src = Path.Combine(Folder, name);
            var dst = Path.Combine(Path.GetFullPath(destination), name);
            if (src == dst) continue;
            Toolkit.Core.Checkpoints.AtomicFile.Copy(src, dst);
            copied.Add(name);
        }
        return copied;
    }

    /// <summary>A checkpoint's eos_token_id <paramref name="ids"/> plus the end-of-turn ids it lacks; <see cref="StopIds"/> when it has none.</summary>
    public IReadOnlyList<int> WithStopIds(IReadOnlyList<int>? ids) => MergeStopIds(ids, StopIds, EosId);

    /// <summary>
    /// <paramref name="ids"/> (an eos_token_id already written; it stays first and authoritative) plus the
    /// <paramref name="stopIds"/> other than <paramref name="eosId"/> it lacks (the template's end-of-turn); <paramref name="stopIds"/> when <paramref name="ids"/> is empty.
    /// </summary>
    public static IReadOnlyList<int> MergeStopIds(IReadOnlyList<int>? ids, IReadOnlyList<int> stopIds, int? eosId) =>
        ids is not { Count: > 0 } ? stopIds : [.. ids.Concat(stopIds.Where(s => s != eosId)).Distinct()];
}

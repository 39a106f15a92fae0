using System.Text;
using Toolkit.Core.Tokenizers;
using Oga = Microsoft.ML.OnnxRuntimeGenAI;

namespace Toolkit.Runtime.Generation;

/// <summary>
/// Generates tokens for a batch of sequences on ORT-GenAI's Generator (its KV cache, sampler, min_length,
/// repetition penalty and EOS handling), adding what it lacks: stop strings, max_new_tokens, per-row finish reasons
/// and whole-character streaming text.
/// <code>
/// using var generator = new Generator(model, params);
/// generator.AppendTokenSequences(prompts);          // runs the prompt (prefill) at once
/// while (!generator.IsDone()) generator.GenerateNextToken();
/// var tokens = generator.GetSequence(0);           // prompt + generated (EOS included when it ended so)
/// </code>
/// Batches: prompts of different lengths are right-padded with pad_token_id (ORT-GenAI's only layout); a finished row
/// is fed pad ids until the batch ends. max_length counts from the longest prompt (every row's generated tokens sit
/// after it). A batch of one may be continued with <see cref="AppendTokens"/> (ORT-GenAI's continuous decoding), also
/// after it stopped early. Not thread-safe:
/// one generator per thread. Dispose releases ORT-GenAI's generator and its KV cache.
/// </summary>
public sealed class Generator : IDisposable
{
    readonly Model _model;
    readonly SearchOptions _options;
    readonly bool _trackText;
    Oga.GeneratorParams? _params;
    Oga.Generator? _native;
    List<int>[] _sequences = [];
    int[] _next = [];
    FinishReason[] _finish = [];
    DecodeStream?[] _streams = [];
    StopStringMatcher?[] _matchers = [];
    StringBuilder[] _newText = [], _text = [];
    int[] _generatedFrom = [];          // where the current turn's generated tokens start, per sequence
    bool _lastWasEos;                   // batch of one: the last token chosen was EOS (not in ORT-GenAI's sequence)

    /// <summary>A generator for <paramref name="p"/>.Model with the options of <paramref name="p"/> (checked here).</summary>
    public Generator(Model model, GeneratorParams p)
    {
        if (!ReferenceEquals(model, p.Model)) throw new ArgumentException("the parameters were made for another model", nameof(p));
        _model = model;
        _options = p.Search.Validate(model.ContextLength);
        _trackText = p.TrackText || _options.StopStrings.Count > 0;
    }

    /// <summary>The options in force (max_length resolved).</summary>
    public SearchOptions Options => _options;

    /// <summary>Sequences in the batch (0 before the first append).</summary>
    public int BatchSize => _sequences.Length;

    /// <summary>Appends <paramref name="tokens"/> to a batch of one (the first call starts it) and runs them through the model.</summary>
    public void AppendTokens(ReadOnlySpan<int> tokens)
    {
        if (_sequences.Length > 1)
            throw new GenerationException($"AppendTokens continues a batch of one, but this generator has {_sequences.Length} sequences. HINT: start a new generator per batch");
        AppendTokenSequences([tokens.ToArray()]);
    }

    /// <summary>
    /// Starts a batch with one prompt per sequence (they may differ in length), or, for a batch of one, appends the next
    /// turn's tokens after what it generated. Runs the model at once (prefill).
    /// </summary>
    public void AppendTokenSequences(IReadOnlyList<int[]> sequences)
    {
        if (sequences.Count == 0 || sequences.Any(s => s.Length == 0))
            throw new GenerationException("every sequence needs at least one token. HINT: encode a non-empty prompt");
        var vocab = _model.Config.VocabSize;
        foreach (var s in sequences)
            foreach (var t in s)
                if ((uint)t >= (uint)vocab)
                    throw new GenerationException($"token id {t} is outside the model's vocabulary (0..{vocab - 1}). HINT: encode with the model folder's own tokenizer");
        if (_native is null) { Start(sequences); return; }
        if (sequences.Count != 1 || _sequences.Length != 1)
            throw new GenerationException("only a batch of one can be continued with more tokens. HINT: start a new generator for another batch");
        // ORT-GenAI has never run the last chosen token through the model. After EOS it is not in its sequence either:
        // feed it first. After an early stop (stop string, max_new_tokens) it is: rewind two tokens and feed both again
        // (rewinding one is refused by ORT-GenAI 0.18; two then matches a fresh prefill).
        var seq = _sequences[0];
        var length = seq.Count + sequences[0].Length;
        if (length > _options.MaxLength)
            throw new GenerationException($"the sequence would be {length} tokens, over max_length {_options.MaxLength}. HINT: raise max_length (up to {_model.ContextLength}) or start a new conversation");
        int[] feed;
        if (_lastWasEos) feed = [seq[^1], .. sequences[0]];
        else
        {
            if (seq.Count < 2) throw new GenerationException("nothing generated to continue from. HINT: generate at least one token before appending more");
            Run(() => _native.RewindTo((ulong)(seq.Count - 2)));
            feed = [seq[^2], seq[^1], .. sequences[0]];
        }
        Run(() => _native.AppendTokens(feed));
        _sequences[0].AddRange(sequences[0]);
        _finish[0] = FinishReason.None;
        _lastWasEos = false;
        ResetText(0);
    }

    void Start(IReadOnlyList<int[]> prompts)
    {
        var max = _options.MaxLength;
        var longest = prompts.Max(p => p.Length);
        if (longest > max)
            throw new GenerationException($"a prompt of {longest} tokens is longer than max_length {max}. HINT: raise max_length (up to {_model.ContextLength}) or shorten the prompt");
        var b = prompts.Count;
        _sequences = prompts.Select(p => new List<int>(p)).ToArray();
        _next = new int[b];
        _finish = new FinishReason[b];
        _generatedFrom = prompts.Select(p => p.Length).ToArray();
        _streams = new DecodeStream?[b];
        _matchers = new StopStringMatcher?[b];
        _newText = Enumerable.Range(0, b).Select(_ => new StringBuilder()).ToArray();
        _text = Enumerable.Range(0, b).Select(_ => new StringBuilder()).ToArray();
        for (var i = 0; i < b; i++) ResetText(i);
        _params = new Oga.GeneratorParams(_model.Native);
        _options.ApplyTo(_params, b, _model.IsGroupQueryAttention, _model.Config.VocabSize);
        _native = new Oga.Generator(_model.Native, _params);
        // right-padded [b, longest] (ORT-GenAI's layout: mask 0 and position 0 for trailing pad ids)
        var flat = new int[b * longest];
        Array.Fill(flat, _model.PadTokenId);
        for (var i = 0; i < b; i++) prompts[i].CopyTo(flat, i * longest);
        Run(() => _native.AppendTokens(flat));
        if (longest >= max)
            for (var i = 0; i < b; i++) Finish(i, FinishReason.Length);
    }

    void ResetText(int i)
    {
        _generatedFrom[i] = _sequences[i].Count;
        _newText[i].Clear();
        _text[i].Clear();
        if (!_trackText) return;
        _streams[i] = _model.CoreTokenizer.CreateStream(skipSpecialTokens: true);
        _matchers[i] = new StopStringMatcher(_options.StopStrings);
    }

    /// <summary>
    /// Runs the model on the last chosen tokens and picks the next token of every unfinished sequence; finished
    /// sequences get the pad id in <see cref="GetNextTokens"/>.
    /// </summary>
    public void GenerateNextToken()
    {
        if (_native is null) throw new GenerationException("GenerateNextToken called before any tokens. HINT: call AppendTokens or AppendTokenSequences first");
        if (IsDone()) return;
        Run(_native.GenerateNextToken);
        var chosen = _native.GetNextTokens();
        var nativeDone = _native.IsDone();
        for (var i = 0; i < _sequences.Length; i++)
        {
            if (_finish[i] != FinishReason.None)
            {
                _next[i] = _model.PadTokenId;
                continue;
            }
            var token = chosen[i];
            _next[i] = token;
            _sequences[i].Add(token);
            if (_model.EosTokenIds.Contains(token))
            {
                Finish(i, FinishReason.Eos);
                _lastWasEos = true;
                continue;
            }
            if (_trackText) Track(i, token);
            if (_finish[i] == FinishReason.None && (nativeDone
                || _options.MaxNewTokens > 0 && _sequences[i].Count - _generatedFrom[i] >= _options.MaxNewTokens))
                Finish(i, FinishReason.Length);
        }
    }

    void Track(int i, int token)
    {
        // embedding rows past the tokenizer's vocabulary (models pad the vocab, e.g. Qwen2.5: 151936 rows for 151665
        // tokens) have no text: such a token adds nothing to the text
        if (_model.CoreTokenizer.IdToToken(token) is null) return;
        var piece = _matchers[i]!.Push(_streams[i]!.Step(token));
        _newText[i].Append(piece);
        _text[i].Append(piece);
        if (_matchers[i]!.Stopped) Finish(i, FinishReason.StopString);
    }

    void Finish(int i, FinishReason reason)
    {
        _finish[i] = reason;
        if (!_trackText) return;
        var rest = reason == FinishReason.StopString ? "" : _matchers[i]!.Push(_streams[i]!.Flush()) + _matchers[i]!.Flush();
        _newText[i].Append(rest);
        _text[i].Append(rest);
    }

    static void Run(Action step)
    {
        try { step(); }
        catch (Oga.OnnxRuntimeGenAIException e) { throw new GenerationException($"ORT-GenAI: {e.Message}", e); }
    }

    /// <summary>True when every sequence has finished (EOS, stop string, max_new_tokens or max_length).</summary>
    public bool IsDone() => _native is not null && _finish.All(f => f != FinishReason.None);

    /// <summary>True when sequence <paramref name="index"/> has finished.</summary>
    public bool IsDone(int index) => _finish[index] != FinishReason.None;

    /// <summary>Why sequence <paramref name="index"/> finished (<see cref="FinishReason.None"/> while it goes on).</summary>
    public FinishReason GetFinishReason(int index) => _finish[index];

    /// <summary>The tokens the last <see cref="GenerateNextToken"/> chose, one per sequence (pad for finished ones).</summary>
    public ReadOnlySpan<int> GetNextTokens() => _next;

    /// <summary>Sequence <paramref name="index"/>: its prompt and every token generated (EOS included when it ended so), without padding.</summary>
    public ReadOnlySpan<int> GetSequence(int index) => System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_sequences[index]);

    /// <summary>The tokens generated for sequence <paramref name="index"/> since its last append.</summary>
    public ReadOnlySpan<int> GetGeneratedTokens(int index) => GetSequence(index)[_generatedFrom[index]..];

    /// <summary>The longest sequence's length.</summary>
    public int TokenCount() => _sequences.Length == 0 ? 0 : _sequences.Max(s => s.Count);

    /// <summary>
    /// Text generated for sequence <paramref name="index"/> since the last call (needs <see cref="GeneratorParams.TrackText"/>
    /// or stop strings): whole characters only, special tokens skipped, nothing of a stop string.
    /// </summary>
    public string TakeNewText(int index)
    {
        RequireText();
        var s = _newText[index].ToString();
        _newText[index].Clear();
        return s;
    }

    /// <summary>All text generated for sequence <paramref name="index"/> since its last append (ends before a stop string).</summary>
    public string GetText(int index)
    {
        RequireText();
        return _text[index].ToString();
    }

    void RequireText()
    {
        if (!_trackText) throw new InvalidOperationException("text is not tracked; set GeneratorParams.TrackText = true (or stop strings) before creating the generator");
    }

    /// <summary>Releases ORT-GenAI's generator (and its KV cache) and parameters.</summary>
    public void Dispose()
    {
        _native?.Dispose();
        _native = null;
        _params?.Dispose();
        _params = null;
    }
}

using System.Text;
using Toolkit.Core.Tokenizers;

namespace Toolkit.Runtime.Generation;

/// <summary>
/// Generates tokens for a batch of sequences, shaped as ORT-GenAI's Generator:
/// <code>
/// using var generator = new Generator(model, params);
/// generator.AppendTokenSequences(prompts);          // runs the prompt (prefill) at once
/// while (!generator.IsDone()) generator.GenerateNextToken();
/// var tokens = generator.GetSequence(0);           // prompt + generated
/// </code>
/// <see cref="AppendTokens"/> may be called again after generating (batch of one: a multi-turn chat continues in the
/// same KV cache; the last generated token is fed with the new ones). A batch goes on while any sequence does;
/// finished sequences stop changing (they are fed padding that is masked out). Not thread-safe: one generator per thread.
/// Resources: the KV cache (pinned managed arrays), one IO binding and the views on them, all released by Dispose.
/// </summary>
public sealed class Generator : IDisposable
{
    readonly Model _model;
    readonly SearchOptions _options;
    readonly bool _trackText;
    DecoderState? _state;
    List<int>[] _sequences = [];
    int[] _cached = [];                 // tokens of each sequence already in the KV cache
    int[] _next = [];
    FinishReason[] _finish = [];
    TokenSampler? _sampler;
    DecodeStream?[] _streams = [];
    StopStringMatcher?[] _matchers = [];
    StringBuilder[] _newText = [], _text = [];
    int[] _generatedFrom = [];          // where the current turn's generated tokens start, per sequence

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

    /// <summary>True when the KV cache is one buffer bound as both past and present (GroupQueryAttention graphs).</summary>
    public bool SharesKvBuffer => _state?.SharedBuffer ?? false;

    /// <summary>Appends <paramref name="tokens"/> to a batch of one (the first call starts it) and runs them through the model.</summary>
    public void AppendTokens(ReadOnlySpan<int> tokens)
    {
        if (_sequences.Length > 1)
            throw new GenerationException($"AppendTokens continues a batch of one, but this generator has {_sequences.Length} sequences. HINT: start a new generator per batch");
        AppendTokenSequences([tokens.ToArray()]);
    }

    /// <summary>
    /// Starts a batch with one prompt per sequence (they may differ in length; padding is handled), or, for a batch of
    /// one that has already generated, appends more tokens. Runs the model at once; the next
    /// <see cref="GenerateNextToken"/> uses the logits.
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
        if (_state is null) Start(sequences);
        else
        {
            if (sequences.Count != 1 || _sequences.Length != 1)
                throw new GenerationException("only a batch of one can be continued with more tokens. HINT: start a new generator for another batch");
            if (_sequences[0].Count + sequences[0].Length > _options.MaxLength)
                throw new GenerationException($"the sequence would be {_sequences[0].Count + sequences[0].Length} tokens, over max_length {_options.MaxLength}. HINT: raise max_length (up to {_model.ContextLength}) or start a new conversation");
            _sequences[0].AddRange(sequences[0]);
            _finish[0] = FinishReason.None;
            ResetText(0);
        }
        Forward();
    }

    void Start(IReadOnlyList<int[]> prompts)
    {
        var max = _options.MaxLength;
        var longest = prompts.Max(p => p.Length);
        var shortest = prompts.Min(p => p.Length);
        if (longest > max)
            throw new GenerationException($"a prompt of {longest} tokens is longer than max_length {max}. HINT: raise max_length (up to {_model.ContextLength}) or shorten the prompt");
        var b = prompts.Count;
        _sequences = prompts.Select(p => new List<int>(p)).ToArray();
        _cached = new int[b];
        _next = new int[b];
        _finish = new FinishReason[b];
        _generatedFrom = prompts.Select(p => p.Length).ToArray();
        _sampler = new TokenSampler(_options, _model.EosTokenIds);
        // cache width: GQA rows never pass max_length; position-wise rows add padding columns for the shortest prompt
        var maxWidth = _model.MaskIsLengths ? max : longest + (max - shortest);
        _state = new DecoderState(_model, b, Math.Min(maxWidth, longest + 256), maxWidth);
        _streams = new DecodeStream?[b];
        _matchers = new StopStringMatcher?[b];
        _newText = Enumerable.Range(0, b).Select(_ => new StringBuilder()).ToArray();
        _text = Enumerable.Range(0, b).Select(_ => new StringBuilder()).ToArray();
        for (var i = 0; i < b; i++)
        {
            ResetText(i);
            if (_sequences[i].Count >= max) _finish[i] = FinishReason.Length;
        }
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

    /// <summary>Runs the model over each unfinished sequence's tokens that are not in the cache yet.</summary>
    void Forward()
    {
        var rows = new int[_sequences.Length][];
        for (var i = 0; i < rows.Length; i++)
        {
            // unfinished rows, and every row's prompt (a prompt already at max_length is still prefilled once)
            rows[i] = _finish[i] == FinishReason.None || _cached[i] == 0 ? _sequences[i].Skip(_cached[i]).ToArray() : [];
            _cached[i] += rows[i].Length;
        }
        if (rows.All(r => r.Length == 0)) return;
        _state!.Forward(rows);
        _logitsFresh = true;
    }

    bool _logitsFresh;

    /// <summary>
    /// Picks the next token of every unfinished sequence (running the model first if its last token is not in the
    /// cache yet) and appends it; finished sequences get the pad id in <see cref="GetNextTokens"/>.
    /// </summary>
    public void GenerateNextToken()
    {
        if (_state is null) throw new GenerationException("GenerateNextToken called before any tokens. HINT: call AppendTokens or AppendTokenSequences first");
        if (IsDone()) return;
        if (!_logitsFresh) Forward();
        _logitsFresh = false;
        for (var i = 0; i < _sequences.Length; i++)
        {
            if (_finish[i] != FinishReason.None)
            {
                _next[i] = _model.PadTokenId;
                continue;
            }
            var token = _sampler!.Next(_state.Logits(i), _sequences[i]);
            _next[i] = token;
            _sequences[i].Add(token);
            if (_model.EosTokenIds.Contains(token)) Finish(i, FinishReason.Eos);
            else
            {
                if (_trackText) Track(i, token);
                if (_finish[i] == FinishReason.None && (_sequences[i].Count >= _options.MaxLength
                    || _options.MaxNewTokens > 0 && _sequences[i].Count - _generatedFrom[i] >= _options.MaxNewTokens))
                    Finish(i, FinishReason.Length);
            }
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

    /// <summary>True when every sequence has finished (EOS, stop string or max_length).</summary>
    public bool IsDone() => _state is not null && _finish.All(f => f != FinishReason.None);

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

    /// <summary>Releases the KV cache, the IO binding and its values.</summary>
    public void Dispose()
    {
        _state?.Dispose();
        _state = null;
    }
}

using Toolkit.Runtime.Ort;

namespace Toolkit.Runtime.Generation;

/// <summary>
/// Runs the decoder for one batch, step after step, with the KV cache kept in place (<see cref="KvCache"/>) and the
/// inputs bound through one IO binding. Each <see cref="Forward"/> appends some tokens to each row and leaves each
/// row's next-token logits in <see cref="Logits"/>.
/// <para>Padding follows the graph (see <see cref="Model.MaskIsLengths"/>):</para>
/// <list type="bullet">
/// <item>mask-as-lengths graphs (GroupQueryAttention): right padding; row b's cache holds its own tokens at positions
/// 0..len_b−1 and the mask row is len_b ones. A finished row stops growing (its mask sum stays put; GQA rewrites its
/// last slot), so no row ever passes max_length or the rotary tables.</item>
/// <item>position-wise graphs: left padding as transformers; the mask records which cache positions are real, and
/// positions (when the graph takes them) count the real tokens before each one. Every row grows by one column per
/// step; a finished row's new columns are masked out.</item>
/// </list>
/// </summary>
internal sealed class DecoderState : IDisposable
{
    readonly Model _model;
    readonly int _batch, _vocab, _maxWidth;
    readonly OrtIoBinding _binding;
    readonly KvCache _kv;
    readonly int[] _valid;            // real tokens in each row's cache
    readonly long[] _maskHistory;     // position-wise graphs: (B, maxWidth) 1 = real cache position
    readonly long[] _maskBuffer;      // (B, W) as fed
    readonly float[] _logits;         // (B, V): each row's logits after its last token
    readonly Array _stepLogits;       // (B, 1, V) float or Half: the bound decode output
    readonly OrtValue _stepLogitsValue;
    readonly List<OrtValue> _inputs = [];
    int _width;                       // cache positions held (= past length of the next run)

    /// <param name="model">The model.</param>
    /// <param name="batch">Rows.</param>
    /// <param name="initialWidth">Cache positions to allocate at first (prompt + headroom).</param>
    /// <param name="maxWidth">The most cache positions this batch can reach.</param>
    public DecoderState(Model model, int batch, int initialWidth, int maxWidth)
    {
        _model = model;
        _batch = batch;
        _vocab = model.Config.VocabSize;
        _maxWidth = maxWidth;
        var shared = model.MaskIsLengths && model.DefaultSearch.PastPresentShareBuffer;
        _kv = new KvCache(model, batch, initialWidth, maxWidth, shared);
        _binding = model.Session.CreateIoBinding();
        _valid = new int[batch];
        _maskHistory = model.MaskIsLengths ? [] : new long[batch * maxWidth];
        _maskBuffer = new long[batch * maxWidth];
        _logits = new float[batch * _vocab];
        if (model.LogitsType == OrtElementType.Float16)
        {
            var h = new Half[batch * _vocab];
            _stepLogits = h;
            _stepLogitsValue = OrtValue.FromArray(h, batch, 1, _vocab);
        }
        else
        {
            var f = new float[batch * _vocab];
            _stepLogits = f;
            _stepLogitsValue = OrtValue.FromArray(f, batch, 1, _vocab);
        }
    }

    /// <summary>True when the KV cache is one buffer bound as past and present.</summary>
    public bool SharedBuffer => _kv.Shared;

    /// <summary>Cache positions held.</summary>
    public int Width => _width;

    /// <summary>Row <paramref name="row"/>'s next-token logits (V), valid after a Forward that gave the row tokens; callers may modify them.</summary>
    public Span<float> Logits(int row) => _logits.AsSpan(row * _vocab, _vocab);

    /// <summary>
    /// Appends <paramref name="tokens"/>[b] to row b (rows with none — finished ones — get a padding token that
    /// changes nothing they report) and runs the decoder once over all rows.
    /// </summary>
    public void Forward(IReadOnlyList<int[]> tokens)
    {
        if (tokens.Count != _batch) throw new ArgumentException($"{tokens.Count} token rows for a batch of {_batch}");
        var s = Math.Max(1, tokens.Max(t => t.Length));   // new tokens per row this run
        var d = _model.Config.Decoder;
        var pad = _model.PadTokenId;

        // 1) input_ids (B, S), attention_mask (B, W), position_ids (B, S)
        var ids = new long[_batch * s];
        var positions = new long[_batch * s];
        int width;
        if (_model.MaskIsLengths)
        {
            for (var b = 0; b < _batch; b++)
                for (var j = 0; j < s; j++)
                {
                    var real = j < tokens[b].Length;
                    ids[b * s + j] = real ? tokens[b][j] : pad;                   // right padding
                    positions[b * s + j] = real ? _valid[b] + j : 1;
                }
            for (var b = 0; b < _batch; b++) _valid[b] += tokens[b].Length;
            width = _valid.Max();
            if (_width > 0 && s > 1 && _batch > 1)
                throw new GenerationException("appending several tokens to a batch after its prompt is not supported by GroupQueryAttention (batch 1 only). HINT: generate multi-turn continuations one sequence at a time");
            if (_width == 0 && _valid.Any(v => v == 0))
                throw new GenerationException("every sequence needs at least one prompt token");
            for (var b = 0; b < _batch; b++)
                _maskBuffer.AsSpan(b * width, width).Fill(0);
            for (var b = 0; b < _batch; b++)
                _maskBuffer.AsSpan(b * width, _valid[b]).Fill(1);
        }
        else
        {
            width = _width + s;
            if (width > _maxWidth) throw new InvalidOperationException($"cache width {width} over the {_maxWidth} planned");
            for (var b = 0; b < _batch; b++)
            {
                var n = tokens[b].Length;
                for (var j = 0; j < s; j++)
                {
                    var k = j - (s - n);                                              // left padding
                    var real = k >= 0;
                    ids[b * s + j] = real ? tokens[b][k] : pad;
                    positions[b * s + j] = real ? _valid[b] + k : 1;
                    _maskHistory[b * _maxWidth + _width + j] = real ? 1 : 0;
                }
                _valid[b] += n;
                _maskHistory.AsSpan(b * _maxWidth, width).CopyTo(_maskBuffer.AsSpan(b * width));
            }
        }

        // 2) bind and run
        Bind(d.InputIds, OrtValue.FromArray(ids, _batch, s));
        Bind(d.AttentionMask, OrtValue.FromMemory(_maskBuffer.AsMemory(0, _batch * width), _batch, width));
        if (_model.HasPositionIds) Bind(d.PositionIds ?? "position_ids", OrtValue.FromArray(positions, _batch, s));
        _kv.Bind(_binding, _width, width);
        if (s == 1) _binding.BindOutput(d.Logits, _stepLogitsValue);
        else _binding.BindOutputToCpu(d.Logits);
        try
        {
            _binding.Run();
        }
        catch (OrtException e)
        {
            throw new GenerationException($"{_model.Folder}: the decoder failed on a batch of {_batch} × {s} new tokens after {_width} cached: {e.Message}", e);
        }
        finally
        {
            foreach (var v in _inputs) v.Dispose();   // the binding holds them until rebound
            _inputs.Clear();
        }
        _kv.AfterRun();
        _width = width;

        // 3) each row's last logits
        if (s == 1) CopyStepLogits();
        else CopyPrefillLogits(tokens, s);
    }

    void Bind(string name, OrtValue value)
    {
        _inputs.Add(value);
        _binding.BindInput(name, value);
    }

    void CopyStepLogits()
    {
        if (_stepLogits is float[] f) f.CopyTo(_logits, 0);
        else
        {
            var h = (Half[])_stepLogits;
            for (var i = 0; i < h.Length; i++) _logits[i] = (float)h[i];
        }
    }

    void CopyPrefillLogits(IReadOnlyList<int[]> tokens, int s)
    {
        var outputs = _binding.GetOutputValues();
        try
        {
            var index = _binding.OutputNames.ToList().IndexOf(_model.Config.Decoder.Logits);
            var value = outputs[index];
            var positions = (int)value.Shape[1];   // S, or 1 for graphs that return only the last position
            for (var b = 0; b < _batch; b++)
            {
                var n = tokens[b].Length;
                if (n == 0) continue;
                var at = _model.MaskIsLengths ? n - 1 : s - 1;                         // the row's last real token
                if (positions == 1)
                {
                    if (at != s - 1) throw new GenerationException($"{_model.Folder}: the graph returns logits for the last position only, which with right padding is not every row's last token. HINT: batch prompts of equal length, or generate one at a time");
                    at = 0;
                }
                var offset = ((long)b * positions + at) * _vocab;
                var row = _logits.AsSpan(b * _vocab, _vocab);
                if (value.ElementType == OrtElementType.Float)
                    value.GetSpan<float>().Slice((int)offset, _vocab).CopyTo(row);
                else
                {
                    var h = value.GetSpan<Half>().Slice((int)offset, _vocab);
                    for (var i = 0; i < _vocab; i++) row[i] = (float)h[i];
                }
            }
        }
        finally
        {
            foreach (var v in outputs) v.Dispose();
        }
    }

    public void Dispose()
    {
        _binding.Dispose();
        _kv.Dispose();
        _stepLogitsValue.Dispose();
    }
}

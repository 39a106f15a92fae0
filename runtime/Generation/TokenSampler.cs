namespace Toolkit.Runtime.Generation;

/// <summary>
/// Turns one row's logits into the next token, in ORT-GenAI's order and with its semantics (src/generators.cpp
/// Generator::GenerateNextToken, src/search.cpp GreedySearch_Cpu):
/// 1) min_length: below it, every EOS id's logit becomes the lowest float;
/// 2) repetition_penalty p over the distinct tokens of the sequence (prompt included): logit &lt; 0 → logit·p, else logit/p;
/// 3) greedy when do_sample is false or top_k = 1: the highest logit, the lowest id on ties;
/// 4) otherwise sampling, with softmax((l − max)/T):
///    top_k &gt; 1 and 0 &lt; top_p &lt; 1: the top_k logits, then the smallest prefix of them whose probability reaches
///    top_p (renormalized); top_k &gt; 1 alone: among the top_k; top_k = 0: nucleus over the whole vocabulary.
/// Draws come from a seeded generator (<see cref="SplitMix64"/>), so a seed reproduces a run exactly (ORT-GenAI's
/// std::mt19937 stream is not reproduced: same rules, different random numbers).
/// </summary>
internal sealed class TokenSampler
{
    readonly SearchOptions _o;
    readonly IReadOnlyList<int> _eos;
    readonly SplitMix64 _random;
    readonly HashSet<int> _seen = [];
    int[] _order = [];
    float[] _probs = [];

    public TokenSampler(SearchOptions options, IReadOnlyList<int> eosTokenIds)
    {
        _o = options;
        _eos = eosTokenIds;
        _random = new SplitMix64(options.RandomSeed >= 0 ? (ulong)options.RandomSeed : (ulong)Random.Shared.NextInt64());
    }

    /// <summary>The next token of a sequence whose tokens so far are <paramref name="sequence"/>; <paramref name="logits"/> (V) is modified.</summary>
    public int Next(Span<float> logits, IReadOnlyList<int> sequence)
    {
        // 1) min_length
        if (sequence.Count < _o.MinLength)
            foreach (var e in _eos)
                if ((uint)e < (uint)logits.Length) logits[e] = float.MinValue;
        // 2) repetition penalty
        if (_o.RepetitionPenalty != 1.0)
        {
            var p = (float)_o.RepetitionPenalty;
            _seen.Clear();
            foreach (var t in sequence)
                if (_seen.Add(t) && (uint)t < (uint)logits.Length)
                    logits[t] = logits[t] < 0 ? logits[t] * p : logits[t] / p;
        }
        // 3) greedy
        if (!_o.DoSample || _o.TopK == 1) return ArgMax(logits);
        // 4) sampling
        var temperature = (float)_o.Temperature;
        var k = Math.Min(_o.TopK, logits.Length);
        if (k > 1) return SampleTopK(logits, k, temperature, _o.TopP > 0 && _o.TopP < 1 ? (float)_o.TopP : 1f);
        return SampleTopP(logits, temperature, (float)_o.TopP);
    }

    /// <summary>Index of the largest value, the first one on ties (as std::max_element and torch.argmax).</summary>
    public static int ArgMax(ReadOnlySpan<float> x)
    {
        var best = 0;
        for (var i = 1; i < x.Length; i++)
            if (x[i] > x[best]) best = i;
        return best;
    }

    /// <summary>Top-k by logit (ties: lower id first), softmax with temperature, optional nucleus cut inside the k, sample.</summary>
    int SampleTopK(ReadOnlySpan<float> logits, int k, float temperature, float topP)
    {
        var top = TopK(logits, k);                                        // ids, best first
        var picked = new float[k];
        for (var i = 0; i < k; i++) picked[i] = logits[top[i]];
        var probs = Softmax((float[])picked.Clone(), temperature);
        var keep = k;
        if (topP < 1f)
        {
            var cumulative = 0f;
            for (var i = 0; i < k; i++)
            {
                cumulative += probs[i];
                if (cumulative >= topP) { keep = i + 1; break; }
            }
            probs = new float[keep];
            for (var i = 0; i < keep; i++) probs[i] = picked[i] / temperature;
            SoftmaxInPlace(probs, 1f);
        }
        return top[Draw(probs.AsSpan(0, keep))];
    }

    /// <summary>Softmax with temperature over the whole vocabulary, nucleus of probability ≥ p (at least one token), sample.</summary>
    int SampleTopP(ReadOnlySpan<float> logits, float temperature, float p)
    {
        var n = logits.Length;
        if (_probs.Length != n) { _probs = new float[n]; _order = new int[n]; }
        logits.CopyTo(_probs);
        SoftmaxInPlace(_probs, temperature);
        for (var i = 0; i < n; i++) _order[i] = i;
        Array.Sort(_order, (a, b) => _probs[b] != _probs[a] ? _probs[b].CompareTo(_probs[a]) : a.CompareTo(b));
        var cumulative = 0f;
        var keep = n;
        for (var i = 0; i < n; i++)
        {
            cumulative += _probs[_order[i]];
            if (cumulative >= p) { keep = i + 1; break; }
        }
        var kept = new float[keep];
        for (var i = 0; i < keep; i++) kept[i] = _probs[_order[i]];
        return _order[Draw(kept)];
    }

    /// <summary>The <paramref name="k"/> ids with the largest logits, best first (ties: lower id first); a size-k heap over V.</summary>
    static int[] TopK(ReadOnlySpan<float> logits, int k)
    {
        var heap = new PriorityQueue<int, (float, int)>(k + 1);        // min-heap on (logit, −id): the weakest on top
        for (var i = 0; i < logits.Length; i++)
        {
            var key = (logits[i], -i);
            if (heap.Count < k) heap.Enqueue(i, key);
            else if (heap.TryPeek(out _, out var worst) && key.CompareTo(worst) > 0) heap.EnqueueDequeue(i, key);
        }
        var result = new int[heap.Count];
        for (var i = result.Length - 1; i >= 0; i--) result[i] = heap.Dequeue();
        return result;
    }

    static float[] Softmax(float[] x, float temperature)
    {
        SoftmaxInPlace(x, temperature);
        return x;
    }

    /// <summary>x ← softmax(x / T), computed as exp((x − max)/T) / Σ (ORT-GenAI's Softmax(scores, temperature)).</summary>
    static void SoftmaxInPlace(Span<float> x, float temperature)
    {
        var max = float.NegativeInfinity;
        foreach (var v in x) max = Math.Max(max, v);
        double sum = 0;
        for (var i = 0; i < x.Length; i++)
        {
            x[i] = MathF.Exp((x[i] - max) / temperature);
            sum += x[i];
        }
        var inv = (float)(1.0 / sum);
        for (var i = 0; i < x.Length; i++) x[i] *= inv;
    }

    /// <summary>An index drawn with probability proportional to <paramref name="weights"/> (std::discrete_distribution).</summary>
    int Draw(ReadOnlySpan<float> weights)
    {
        double total = 0;
        foreach (var w in weights) total += w;
        var u = _random.NextDouble() * total;
        double cumulative = 0;
        for (var i = 0; i < weights.Length; i++)
        {
            cumulative += weights[i];
            if (u < cumulative) return i;
        }
        for (var i = weights.Length - 1; i >= 0; i--)
            if (weights[i] > 0) return i;                                   // rounding left u at the very end
        return 0;
    }
}

/// <summary>SplitMix64 (Steele, Lea &amp; Flood 2014): a tiny seeded generator whose stream is fixed by its seed on every runtime.</summary>
internal sealed class SplitMix64(ulong seed)
{
    ulong _state = seed;

    public ulong Next()
    {
        var z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));
}

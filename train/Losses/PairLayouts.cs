using TorchSharp;

namespace Toolkit.Train.Losses;

/// <summary>A tokenized preference pair: prompt ids and the two completions' ids (each completion ends with its EOS).</summary>
public sealed record TokenPair(long[] Prompt, long[] Chosen, long[] Rejected);

/// <summary>
/// The two ways to put B preference pairs through one forward. Both give 2B sequences: rows 0..B-1 are the chosen
/// completions, B..2B-1 the rejected ones (split with <see cref="SequenceLogps.SplitPairs"/>).
/// </summary>
public static class PairLayouts
{
    /// <summary>
    /// (a) Concatenated: 2B right-padded rows, prompt + chosen for pair i in row i and prompt + rejected in row B + i.
    /// T = the longest prompt + completion. The prompt is computed twice.
    /// </summary>
    public static LogpBatch Concatenated(IReadOnlyList<TokenPair> pairs, long padId = 0)
    {
        Check(pairs);
        var rows = pairs.Select(p => (p.Prompt, p.Chosen)).Concat(pairs.Select(p => (p.Prompt, p.Rejected))).ToList();
        var t = rows.Max(r => r.Prompt.Length + r.Item2.Length);
        var ids = new long[rows.Count * t];
        var mask = new long[rows.Count * t];
        var labels = new long[rows.Count * t];
        Array.Fill(ids, padId);
        Array.Fill(labels, -100L);
        for (var r = 0; r < rows.Count; r++)
        {
            var (prompt, completion) = rows[r];
            var o = r * t;
            prompt.CopyTo(ids, o);
            completion.CopyTo(ids, o + prompt.Length);
            completion.CopyTo(labels, o + prompt.Length);
            Array.Fill(mask, 1L, o, prompt.Length + completion.Length);
        }
        return LogpBatch.FromLabels(ids, mask, labels, rows.Count, t);
    }

    /// <summary>
    /// (b) Shared prompt: one row per pair, prompt (P) + chosen (C) + rejected (R), right-padded to the longest row.
    /// Positions run 0..P+C-1, then restart at P for the rejected segment, so the rejected tokens get the rotary phases
    /// they would have in their own sequence. In the attention mask a rejected token sees the prompt and the earlier
    /// rejected tokens but no chosen token; chosen tokens see the prompt and earlier chosen tokens; padding sees nothing
    /// real beyond itself. The first rejected token is predicted from the last prompt position, exactly as in (a).
    /// The prompt is computed once: T = max(P + C + R) instead of 2 × (P + max(C, R)).
    /// </summary>
    public static LogpBatch SharedPrompt(IReadOnlyList<TokenPair> pairs, long padId = 0)
    {
        Check(pairs);
        int b = pairs.Count, t = pairs.Max(p => p.Prompt.Length + p.Chosen.Length + p.Rejected.Length);
        var ids = new long[b * t];
        var mask = new long[b * t];
        var positions = new long[b * t];
        var allowed = new bool[(long)b * t * t];
        Array.Fill(ids, padId);
        var pos = new List<long>(); var tok = new List<long>(); var seq = new List<int>();
        for (var r = 0; r < b; r++)
        {
            var (prompt, chosen, rejected) = (pairs[r].Prompt, pairs[r].Chosen, pairs[r].Rejected);
            int np = prompt.Length, nc = chosen.Length, nr = rejected.Length, o = r * t, end = np + nc + nr;
            prompt.CopyTo(ids, o);
            chosen.CopyTo(ids, o + np);
            rejected.CopyTo(ids, o + np + nc);
            Array.Fill(mask, 1L, o, end);
            for (var i = 0; i < t; i++) positions[o + i] = i < np + nc ? i : i < end ? i - nc : 0;
            // segment of each position: 0 prompt, 1 chosen, 2 rejected, 3 padding
            int Seg(int i) => i < np ? 0 : i < np + nc ? 1 : i < end ? 2 : 3;
            for (var q = 0; q < t; q++)
            for (var k = 0; k <= q; k++)
            {
                int sq = Seg(q), sk = Seg(k);
                var see = sq == 3 ? k == q : sk == 0 || sk == sq;
                allowed[((long)r * t + q) * t + k] = see;
            }
            for (var j = 0; j < nc; j++) { pos.Add(o + np - 1 + j); tok.Add(chosen[j]); seq.Add(r); }
            for (var j = 0; j < nr; j++) { pos.Add(o + (j == 0 ? np - 1 : np + nc + j - 1)); tok.Add(rejected[j]); seq.Add(b + r); }
        }
        return new LogpBatch(torch.tensor(ids, [b, t]), torch.tensor(mask, [b, t]), torch.tensor(positions, [b, t]),
            torch.tensor(allowed, [b, t, t]), new TokenTargets([.. pos], [.. tok], [.. seq], 2 * b));
    }

    /// <summary>
    /// KTO's reference point batch (Ethayarajh et al. 2024, §4.1; TRL kto_trainer): example i's prompt paired with example
    /// (i + 1) mod n's completion, so the KL estimate uses mismatched pairs. Returns the rotated (prompt, completion) list.
    /// </summary>
    public static IReadOnlyList<(long[] Prompt, long[] Completion)> Mismatched(IReadOnlyList<(long[] Prompt, long[] Completion)> examples)
    {
        if (examples.Count < 2) throw new ArgumentException("KTO's KL reference point needs at least 2 examples per batch (mismatched pairs)");
        return [.. examples.Select((e, i) => (e.Prompt, examples[(i + 1) % examples.Count].Completion))];
    }

    /// <summary>Right-padded rows of prompt + completion with the completion scored: sequence i = example i (SFT, KTO).</summary>
    public static LogpBatch Completions(IReadOnlyList<(long[] Prompt, long[] Completion)> examples, long padId = 0)
    {
        if (examples.Count == 0) throw new ArgumentException("a batch needs at least one example");
        for (var i = 0; i < examples.Count; i++)
        {
            if (examples[i].Prompt.Length == 0) throw new ArgumentException($"example {i}: empty prompt (at least a BOS or template header is required)");
            if (examples[i].Completion.Length == 0) throw new ArgumentException($"example {i}: empty completion (nothing to score)");
        }
        var t = examples.Max(e => e.Prompt.Length + e.Completion.Length);
        int n = examples.Count;
        var ids = new long[n * t]; var mask = new long[n * t]; var labels = new long[n * t];
        Array.Fill(ids, padId);
        Array.Fill(labels, -100L);
        for (var r = 0; r < n; r++)
        {
            var (p, c) = examples[r];
            p.CopyTo(ids, r * t);
            c.CopyTo(ids, r * t + p.Length);
            c.CopyTo(labels, r * t + p.Length);
            Array.Fill(mask, 1L, r * t, p.Length + c.Length);
        }
        return LogpBatch.FromLabels(ids, mask, labels, n, t);
    }

    static void Check(IReadOnlyList<TokenPair> pairs)
    {
        if (pairs.Count == 0) throw new ArgumentException("a batch needs at least one pair");
        for (var i = 0; i < pairs.Count; i++)
        {
            var p = pairs[i];
            if (p.Prompt.Length == 0) throw new ArgumentException($"pair {i}: empty prompt (at least a BOS or template header is required)");
            if (p.Chosen.Length == 0) throw new ArgumentException($"pair {i}: empty chosen completion");
            if (p.Rejected.Length == 0) throw new ArgumentException($"pair {i}: empty rejected completion");
        }
    }
}

namespace Toolkit.Train.Data;

/// <summary>
/// Turns examples into batches (see <see cref="PaddedBatch"/> and <see cref="PackedBatch"/> for the shapes).
/// Right padding (teacher forcing; left padding is for generation only).
/// </summary>
public static class Collator
{
    /// <summary>Two-forward layout for pairs: 2B rows, chosen then rejected.</summary>
    public static PaddedBatch Pairs(IReadOnlyList<PreferenceExample> batch, int padId)
    {
        var rows = new List<(int[] Prompt, int[] Completion)>(batch.Count * 2);
        rows.AddRange(batch.Select(e => (e.PromptIds, e.ChosenIds)));
        rows.AddRange(batch.Select(e => (e.PromptIds, e.RejectedIds)));
        return Pad(rows, padId);
    }

    /// <summary>SFT batch: B rows, trained where each example's loss mask is set.</summary>
    public static PaddedBatch Sft(IReadOnlyList<SftExample> batch, int padId) =>
        Pad(batch.Select(e => (e.InputIds, e.LossMask)).ToList(), padId);

    /// <summary>KTO batch and its mismatched KL batch.</summary>
    public static UnpairedBatch Unpaired(IReadOnlyList<UnpairedExample> batch, int padId)
    {
        var main = Pad(batch.Select(e => (e.PromptIds, e.CompletionIds)).ToList(), padId);
        var kl = Pad(batch.Select((e, b) => (e.PromptIds, batch[(b + 1) % batch.Count].CompletionIds)).ToList(), padId);
        return new UnpairedBatch(main, batch.Select(e => e.Label).ToArray(), kl);
    }

    static PaddedBatch Pad(List<(int[] Prompt, int[] Completion)> rows, int padId) =>
        Pad(rows.Select(r => (Ids: (int[])[.. r.Prompt, .. r.Completion],
            Mask: (bool[])[.. new bool[r.Prompt.Length], .. Enumerable.Repeat(true, r.Completion.Length)])).ToList(), padId);

    static PaddedBatch Pad(List<(int[] Ids, bool[] Mask)> rows, int padId)
    {
        if (rows.Count == 0) throw new ArgumentException("a batch needs at least one example");
        var t = rows.Max(r => r.Ids.Length);
        var ids = new long[rows.Count * t];
        var attention = new long[rows.Count * t];
        var labels = new long[rows.Count * t];
        Array.Fill(ids, padId);
        Array.Fill(labels, -100L);
        var targets = new TargetList(rows.Count);
        for (var r = 0; r < rows.Count; r++)
        {
            var (row, mask) = rows[r];
            for (var i = 0; i < row.Length; i++)
            {
                ids[r * t + i] = row[i];
                attention[r * t + i] = 1;
                if (!mask[i]) continue;
                labels[r * t + i] = row[i];
                if (i > 0) targets.Add(r * t + i - 1, row[i], r);   // a trained first token has no predicting position
            }
        }
        return new PaddedBatch(rows.Count, t, ids, attention, labels, rows.Select(r => r.Ids.Length).ToArray(), targets.Build());
    }

    /// <summary>Shared-prompt packing: B rows of prompt ++ chosen ++ rejected.</summary>
    public static PackedBatch Packed(IReadOnlyList<PreferenceExample> batch, int padId)
    {
        var b = batch.Count;
        if (b == 0) throw new ArgumentException("a batch needs at least one example");
        if (batch.Any(e => e.PromptIds.Length == 0))
            throw new ArgumentException("shared-prompt packing needs a non-empty prompt (its last position predicts the first chosen and rejected tokens)");
        var t = batch.Max(e => e.PromptIds.Length + e.ChosenIds.Length + e.RejectedIds.Length);
        var ids = new long[b * t];
        var pos = new long[b * t];
        var seg = new sbyte[b * t];
        var allowed = new bool[b * t * t];
        Array.Fill(ids, padId);
        Array.Fill(seg, (sbyte)-1);
        var targets = new TargetList(2 * b);
        for (var r = 0; r < b; r++)
        {
            var (p, c, x) = (batch[r].PromptIds, batch[r].ChosenIds, batch[r].RejectedIds);
            var at = r * t;
            for (var i = 0; i < p.Length; i++) (ids[at + i], pos[at + i], seg[at + i]) = (p[i], i, 0);
            for (var i = 0; i < c.Length; i++) (ids[at + p.Length + i], pos[at + p.Length + i], seg[at + p.Length + i]) = (c[i], p.Length + i, 1);
            var rs = p.Length + c.Length;
            for (var i = 0; i < x.Length; i++) (ids[at + rs + i], pos[at + rs + i], seg[at + rs + i]) = (x[i], p.Length + i, 2);

            // chosen token i is predicted by the position before it; the first by the last prompt position
            for (var i = 0; i < c.Length; i++) targets.Add(at + p.Length + i - 1, c[i], r);
            // rejected token 0 is predicted by the last prompt position too, token i > 0 by the rejected position before it
            for (var i = 0; i < x.Length; i++) targets.Add(i == 0 ? at + p.Length - 1 : at + rs + i - 1, x[i], b + r);

            var len = rs + x.Length;
            var block = (long)r * t * t;
            for (var i = 0; i < t; i++)
            {
                if (i >= len) { allowed[block + (long)i * t + i] = true; continue; }
                for (var j = 0; j <= i; j++)
                    allowed[block + (long)i * t + j] = PackedBatch.Sees(i, j, seg[at + i], seg[at + j]);
            }
        }
        return new PackedBatch(b, t, ids, pos, seg, allowed, batch.Select(e => e.PromptIds.Length).ToArray(),
            batch.Select(e => e.ChosenIds.Length).ToArray(), batch.Select(e => e.RejectedIds.Length).ToArray(), targets.Build());
    }

    sealed class TargetList(int slots)
    {
        readonly List<long> _index = [], _ids = [], _slot = [];
        readonly int[] _counts = new int[slots];

        public void Add(long logitIndex, int id, int slot)
        {
            _index.Add(logitIndex);
            _ids.Add(id);
            _slot.Add(slot);
            _counts[slot]++;
        }

        public CompletionTargets Build() => new([.. _index], [.. _ids], [.. _slot], slots, _counts);
    }
}

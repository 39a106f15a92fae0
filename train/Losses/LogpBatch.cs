using TorchSharp;
using static TorchSharp.torch;

namespace Toolkit.Train.Losses;

/// <summary>
/// Which hidden state predicts which token for which output sequence. Entry i says: the final hidden state at flat
/// position <see cref="Positions"/>[i] (= row · T + t of the (B, T) input) predicts token <see cref="Tokens"/>[i], whose
/// log-prob is added to sequence <see cref="Sequences"/>[i] ∈ [0, <see cref="SequenceCount"/>). Entries of one sequence
/// need not be adjacent; a sequence with no entry has count 0 (and sum 0).
/// </summary>
public sealed record TokenTargets(long[] Positions, long[] Tokens, int[] Sequences, int SequenceCount)
{
    /// <summary>Number of predicted tokens N.</summary>
    public int Count => Positions.Length;

    /// <summary>
    /// The usual causal-LM shift: <paramref name="labels"/> (rows × length, row-major) hold the token to score at each
    /// position or -100 (prompt, padding); position t-1 predicts labels[t]; row r is sequence r.
    /// </summary>
    public static TokenTargets FromLabels(long[] labels, int rows, int length, long ignoreIndex = -100)
    {
        if (labels.Length != (long)rows * length)
            throw new ArgumentException($"labels hold {labels.Length} values, expected rows {rows} × length {length}");
        var pos = new List<long>(); var tok = new List<long>(); var seq = new List<int>();
        for (var r = 0; r < rows; r++)
        {
            if (labels[(long)r * length] != ignoreIndex)
                throw new ArgumentException($"labels row {r} position 0 is {labels[(long)r * length]}: the first token has no predecessor to predict it; mark it {ignoreIndex}");
            for (var t = 1; t < length; t++)
            {
                var y = labels[(long)r * length + t];
                if (y == ignoreIndex) continue;
                if (y < 0) throw new ArgumentException($"labels row {r} position {t} is {y}: a token id must be ≥ 0, or {ignoreIndex} for 'not scored'");
                pos.Add((long)r * length + t - 1); tok.Add(y); seq.Add(r);
            }
        }
        return new TokenTargets([.. pos], [.. tok], [.. seq], rows);
    }
}

/// <summary>
/// One forward's inputs plus the targets to score: <see cref="Ids"/> (B, T) int64, <see cref="AttentionMask"/> (B, T) int64
/// 1 = real token, <see cref="PositionIds"/> (B, T) int64 or null (count of real tokens), <see cref="Allowed"/> (B, T, T)
/// bool or null (causal + padding). Built by <see cref="PairLayouts"/> or <see cref="FromLabels"/>; the tensors belong to
/// the dispose scope current when it was built.
/// </summary>
public sealed record LogpBatch(Tensor Ids, Tensor AttentionMask, Tensor? PositionIds, Tensor? Allowed, TokenTargets Targets)
{
    /// <summary>Real (unpadded) tokens that go through the model: what tokens/s counts.</summary>
    public long RealTokens => AttentionMask.sum().item<long>();

    /// <summary>A batch from right-padded <paramref name="ids"/>, its mask and -100-marked labels (all (rows, length) row-major).</summary>
    public static LogpBatch FromLabels(long[] ids, long[] attentionMask, long[] labels, int rows, int length) =>
        new(torch.tensor(ids, [rows, length]), torch.tensor(attentionMask, [rows, length]), null, null,
            TokenTargets.FromLabels(labels, rows, length));
}

namespace Toolkit.Train.Data;

/// <summary>
/// The completion tokens of a batch as gather lists, so the trainer can run the lm_head only where a completion token
/// is predicted (prompt positions skipped) and sum log-probs per sequence. N = completion tokens in the batch.
/// For each n: the logits at flat position <c>LogitIndex[n]</c> (= row × T + t, into the (rows × T) flattened hidden
/// states) predict token <c>TargetIds[n]</c>, whose log-prob is added to sequence <c>Slot[n]</c>.
/// </summary>
/// <param name="LogitIndex">(N) flat index row × T + t of the predicting position.</param>
/// <param name="TargetIds">(N) the token predicted.</param>
/// <param name="Slot">(N) the sequence it belongs to: pairs use 0..B-1 for chosen and B..2B-1 for rejected; SFT/KTO use the row.</param>
/// <param name="Slots">Number of sequences (2B for pairs, B otherwise).</param>
/// <param name="SlotTokenCounts">(Slots) completion tokens per sequence (for averaged log-probs).</param>
public sealed record CompletionTargets(long[] LogitIndex, long[] TargetIds, long[] Slot, int Slots, int[] SlotTokenCounts);

/// <summary>
/// A right-padded batch, rows × T (T = the longest row). Row-major flat arrays: element (r, t) at r × T + t.
/// For pairs (the two-forward layout) rows 0..B-1 are prompt+chosen and rows B..2B-1 prompt+rejected, so one forward of
/// 2B rows serves both.
/// </summary>
/// <param name="Rows">Number of rows (2B for pairs).</param>
/// <param name="Length">T.</param>
/// <param name="InputIds">(Rows, T) token ids, padding = the pad id.</param>
/// <param name="AttentionMask">(Rows, T) 1 on real tokens, 0 on padding.</param>
/// <param name="Labels">(Rows, T) HF convention, not shifted: the token id where it is trained, -100 on prompt, untrained and padding positions; the logits at t-1 predict Labels[t].</param>
/// <param name="Lengths">(Rows) real tokens per row.</param>
/// <param name="Targets">The same completion tokens as gather lists.</param>
public sealed record PaddedBatch(int Rows, int Length, long[] InputIds, long[] AttentionMask, long[] Labels, int[] Lengths, CompletionTargets Targets);

/// <summary>
/// Shared-prompt packing: one row per pair holding prompt ++ chosen ++ rejected, B × T (T = longest row).
/// Attention rule for real tokens: i may see j iff j ≤ i and not (i in rejected and j in chosen). Positions restart after
/// the prompt for the rejected segment, so the rejected tokens see exactly the context they would see alone and their
/// log-probs equal the separate-sequence ones. The first rejected token is predicted by the LAST PROMPT position (as is
/// the first chosen token), which <see cref="Targets"/> encodes.
/// Padding positions: segment -1, position 0, they see only themselves (keeps softmax finite) and nobody sees them.
/// </summary>
/// <param name="Rows">B.</param>
/// <param name="Length">T.</param>
/// <param name="InputIds">(B, T).</param>
/// <param name="PositionIds">(B, T): prompt 0..P-1, chosen P..P+C-1, rejected P..P+R-1, padding 0.</param>
/// <param name="SegmentIds">(B, T): 0 prompt, 1 chosen, 2 rejected, -1 padding.</param>
/// <param name="Allowed">(B, T, T) row-major: Allowed[b, i, j] true when query i may attend to key j (the Decoder's <c>allowed</c> argument).</param>
/// <param name="PromptLengths">(B).</param>
/// <param name="ChosenLengths">(B).</param>
/// <param name="RejectedLengths">(B).</param>
/// <param name="Targets">Completion tokens: slot b = chosen of pair b, slot B + b = rejected of pair b.</param>
public sealed record PackedBatch(int Rows, int Length, long[] InputIds, long[] PositionIds, sbyte[] SegmentIds, bool[] Allowed,
    int[] PromptLengths, int[] ChosenLengths, int[] RejectedLengths, CompletionTargets Targets)
{
    /// <summary>The attention rule on segments (for real tokens): j ≤ i and not (i rejected, j chosen).</summary>
    public static bool Sees(int i, int j, sbyte segmentI, sbyte segmentJ) => j <= i && !(segmentI == 2 && segmentJ == 1);
}

/// <summary>An unpaired (KTO) batch: the B sequences, their labels, and the KL batch of mismatched pairs
/// (prompt b with the completion of row (b + 1) mod B; TRL's reference point) in the same layout.</summary>
public sealed record UnpairedBatch(PaddedBatch Batch, bool[] Labels, PaddedBatch Mismatched);

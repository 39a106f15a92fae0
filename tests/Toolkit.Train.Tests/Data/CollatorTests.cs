using Toolkit.Train.Data;

namespace Toolkit.Train.Tests.Data;

/// <summary>Padded two-forward batches and the shared-prompt packing layout, on small hand-checked cases.</summary>
public sealed class CollatorTests
{
    const int Pad = 0;
    static readonly PreferenceExample A = new([11, 12], [21, 22], [31], new RowOrigin("mem", 1));   // P=2, C=2, R=1
    static readonly PreferenceExample B = new([13], [23], [33, 34], new RowOrigin("mem", 2));       // P=1, C=1, R=2

    [Fact]
    public void Two_forward_layout_puts_chosen_rows_first_then_rejected_right_padded()
    {
        var batch = Collator.Pairs([A, B], Pad);
        Assert.Equal((4, 4), (batch.Rows, batch.Length));
        Assert.Equal(new long[] { 11, 12, 21, 22, 13, 23, 0, 0, 11, 12, 31, 0, 13, 33, 34, 0 }, batch.InputIds);
        Assert.Equal(new long[] { 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0 }, batch.AttentionMask);
        Assert.Equal(new long[] { -100, -100, 21, 22, -100, 23, -100, -100, -100, -100, 31, -100, -100, 33, 34, -100 }, batch.Labels);
        Assert.Equal([4, 2, 3, 3], batch.Lengths);
        // gather lists: the logits at t-1 predict the label at t
        Assert.Equal(new long[] { 1, 2, 4, 9, 12, 13 }, batch.Targets.LogitIndex);
        Assert.Equal(new long[] { 21, 22, 23, 31, 33, 34 }, batch.Targets.TargetIds);
        Assert.Equal(new long[] { 0, 0, 1, 2, 3, 3 }, batch.Targets.Slot);
        Assert.Equal([2, 1, 1, 2], batch.Targets.SlotTokenCounts);
    }

    static bool[,] Matrix(PackedBatch p, int b)
    {
        var m = new bool[p.Length, p.Length];
        for (var i = 0; i < p.Length; i++)
            for (var j = 0; j < p.Length; j++) m[i, j] = p.Allowed[(b * p.Length + i) * p.Length + j];
        return m;
    }

    static bool[,] Parse(params string[] rows)
    {
        var m = new bool[rows.Length, rows.Length];
        for (var i = 0; i < rows.Length; i++)
            for (var j = 0; j < rows.Length; j++) m[i, j] = rows[i][j] == '1';
        return m;
    }

    [Fact]
    public void Packed_layout_segments_positions_and_attention_rule_by_hand()
    {
        var p = Collator.Packed([A, B], Pad);
        Assert.Equal((2, 5), (p.Rows, p.Length));
        Assert.Equal(new long[] { 11, 12, 21, 22, 31, 13, 23, 33, 34, 0 }, p.InputIds);
        Assert.Equal(new sbyte[] { 0, 0, 1, 1, 2, 0, 1, 2, 2, -1 }, p.SegmentIds);
        Assert.Equal(new long[] { 0, 1, 2, 3, 2, 0, 1, 1, 2, 0 }, p.PositionIds);   // rejected restarts after the prompt
        Assert.Equal(Parse(
            "10000",
            "11000",
            "11100",
            "11110",
            "11001"), Matrix(p, 0));                                                   // rejected (row 4) does not see chosen (2, 3)
        Assert.Equal(Parse(
            "10000",
            "11000",
            "10100",
            "10110",
            "00001"), Matrix(p, 1));                                                   // padding sees only itself
        // slot b = chosen of pair b, slot 2 + b = rejected; the first rejected token is predicted by the last prompt position
        Assert.Equal(new long[] { 1, 2, 1, 5, 5, 7 }, p.Targets.LogitIndex);
        Assert.Equal(new long[] { 21, 22, 31, 23, 33, 34 }, p.Targets.TargetIds);
        Assert.Equal(new long[] { 0, 0, 2, 1, 3, 3 }, p.Targets.Slot);
    }

    [Fact]
    public void Every_packed_completion_token_sees_exactly_its_separate_sequence_context()
    {
        var rng = new Random(5);
        var examples = Enumerable.Range(0, 6).Select(i => new PreferenceExample(
            Enumerable.Range(0, 1 + rng.Next(5)).Select(_ => 100 + rng.Next(50)).ToArray(),
            Enumerable.Range(0, 1 + rng.Next(5)).Select(_ => 200 + rng.Next(50)).ToArray(),
            Enumerable.Range(0, 1 + rng.Next(5)).Select(_ => 300 + rng.Next(50)).ToArray(), new RowOrigin("mem", i + 1))).ToList();
        var p = Collator.Packed(examples, Pad);
        var separate = Collator.Pairs(examples, Pad);
        // the two layouts list targets in different orders: compare slot by slot, token by token
        static List<int>[] BySlot(CompletionTargets t)
        {
            var lists = Enumerable.Range(0, t.Slots).Select(_ => new List<int>()).ToArray();
            for (var n = 0; n < t.Slot.Length; n++) lists[t.Slot[n]].Add(n);
            return lists;
        }
        var (packed, plain) = (BySlot(p.Targets), BySlot(separate.Targets));
        Assert.Equal(plain.Select(l => l.Count), packed.Select(l => l.Count));
        var checkedTokens = 0;
        for (var slot = 0; slot < packed.Length; slot++)
            for (var k = 0; k < packed[slot].Count; k++)
            {
                var (n, m) = (packed[slot][k], plain[slot][k]);
                // the packed predicting position sees these (token, position) pairs ...
                var (row, at) = Math.DivRem((int)p.Targets.LogitIndex[n], p.Length);
                var seen = Enumerable.Range(0, p.Length).Where(j => p.Allowed[((long)row * p.Length + at) * p.Length + j])
                    .Select(j => (p.InputIds[row * p.Length + j], p.PositionIds[row * p.Length + j])).ToList();
                // ... which must be the causal prefix of the separate sequence (where position = index)
                var (srow, sat) = Math.DivRem((int)separate.Targets.LogitIndex[m], separate.Length);
                var expected = Enumerable.Range(0, sat + 1).Select(j => (separate.InputIds[srow * separate.Length + j], (long)j)).ToList();
                Assert.Equal(expected, seen);
                Assert.Equal(separate.Targets.TargetIds[m], p.Targets.TargetIds[n]);
                checkedTokens++;
            }
        Assert.Equal(examples.Sum(e => e.ChosenIds.Length + e.RejectedIds.Length), checkedTokens);
    }

    [Fact]
    public void Sft_and_kto_batches()
    {
        var sft = Collator.Sft([new SftExample([1, 2, 3], [false, true, true], new RowOrigin("mem", 1)), new SftExample([4, 5], [false, true], new RowOrigin("mem", 2))], Pad);
        Assert.Equal(new long[] { -100, 2, 3, -100, 5, -100 }, sft.Labels);
        var kto = Collator.Unpaired([new UnpairedExample([1], [2], true, new RowOrigin("mem", 1)), new UnpairedExample([3, 4], [5, 6], false, new RowOrigin("mem", 2))], Pad);
        Assert.Equal([true, false], kto.Labels);
        Assert.Equal(new long[] { 1, 5, 6, 3, 4, 2 }, kto.Mismatched.InputIds);    // prompt b with completion b+1
        Assert.Equal(new long[] { -100, 5, 6, -100, -100, 2 }, kto.Mismatched.Labels);
    }
}

using Toolkit.Train.Engine;
using Toolkit.Train.Losses;
using Toolkit.Train.Model;
using TorchSharp;
using static TorchSharp.torch;
using Xunit.Abstractions;
using static Toolkit.Train.Tests.Losses.LossTestKit;
using static Toolkit.Train.Tests.Oracle;

namespace Toolkit.Train.Tests.Losses;

/// <summary>Completion log-probs: chunked = full logits; both pair layouts = each sequence in its own forward; lifetimes.</summary>
public sealed class CompletionLogpsTests(ITestOutputHelper output)
{
    /// <summary>Plain computation: full (B, T, V) logits, log-softmax, then Σ over labelled positions in C#.</summary>
    static (double[] Sums, double[] LogitSums) FullLogits(Decoder model, LogpBatch batch, long[] labels)
    {
        using var scope = torch.NewDisposeScope();
        var logits = model.Forward(batch.Ids, batch.AttentionMask, batch.PositionIds, batch.Allowed);   // (B, T, V)
        long b = logits.size(0), t = logits.size(1), v = logits.size(2);
        var lp = logits.log_softmax(-1).data<float>().ToArray();
        var raw = logits.data<float>().ToArray();
        var sums = new double[b];
        var logitSums = new double[b];
        for (var r = 0; r < b; r++)
        for (var i = 1; i < t; i++)
        {
            var y = labels[r * t + i];
            if (y < 0) continue;
            var o = (r * t + i - 1) * v;
            sums[r] += lp[o + y];
            for (var k = 0; k < v; k++) logitSums[r] += raw[o + k];
        }
        return (sums, logitSums);
    }

    /// <summary>The labels a Concatenated batch was built from, recovered from its targets.</summary>
    static long[] Labels(LogpBatch batch)
    {
        var t = batch.Ids.size(1);
        var labels = Enumerable.Repeat(-100L, (int)(batch.Ids.size(0) * t)).ToArray();
        for (var i = 0; i < batch.Targets.Count; i++) labels[batch.Targets.Positions[i] + 1] = batch.Targets.Tokens[i];
        return labels;
    }

    [Fact]
    public void Chunked_log_probs_equal_a_full_logits_computation()
    {
        using var model = SmallModel(seed: 11);
        using var scope = torch.NewDisposeScope();
        var batch = PairLayouts.Concatenated(RandomPairs(4, seed: 12));
        var (sums, logitSums) = FullLogits(model, batch, Labels(batch));
        var counts = batch.Targets.Sequences.GroupBy(s => s).OrderBy(g => g.Key).Select(g => (double)g.Count()).ToArray();
        foreach (var chunk in new[] { 1, 3, 7, CompletionLogps.DefaultChunk })
        {
            var ours = CompletionLogps.Compute(model, batch, chunk);
            var d = MaxAbsDiff(ToDoubles(ours.Sum), sums);
            var dl = MaxAbsDiff(ToDoubles(ours.LogitsSum!), logitSums);
            output.WriteLine($"chunk {chunk,4}: Σ log p max |diff| {d:E2}, Σ logits max |diff| {dl:E2}");
            Assert.True(d <= 1e-5, $"chunk {chunk}: log-prob sums differ by {d}");
            Assert.True(dl <= 1e-3, $"chunk {chunk}: logit sums differ by {dl}");   // sums of ~V·N fp32 values
            Assert.Equal(counts, ToDoubles(ours.Count));
            Assert.Equal(Vocab, ours.Vocab);
        }
    }

    /// <summary>Each sequence alone: prompt + completion, no padding, no other row.</summary>
    static double[] Separately(Decoder model, List<TokenPair> pairs)
    {
        var alone = pairs.Select(p => (p.Prompt, p.Chosen)).Concat(pairs.Select(p => (p.Prompt, p.Rejected)));
        return [.. alone.Select(e =>
        {
            using var scope = torch.NewDisposeScope();
            return ToDoubles(CompletionLogps.Compute(model, PairLayouts.Completions([e])).Sum)[0];
        })];
    }

    [Fact]
    public void Shared_prompt_packing_and_concatenation_give_the_log_probs_of_separate_sequences()
    {
        using var model = SmallModel(seed: 13);
        var pairs = RandomPairs(5, seed: 14);
        var separate = Separately(model, pairs);
        using var scope = torch.NewDisposeScope();
        var packedBatch = PairLayouts.SharedPrompt(pairs);
        var concatBatch = PairLayouts.Concatenated(pairs);
        var packed = CompletionLogps.Compute(model, packedBatch, chunk: 4);
        var concat = CompletionLogps.Compute(model, concatBatch, chunk: 4);
        var dp = MaxAbsDiff(ToDoubles(packed.Sum), separate);
        var dc = MaxAbsDiff(ToDoubles(concat.Sum), separate);
        output.WriteLine($"packed: {packedBatch.Ids.size(0)}×{packedBatch.Ids.size(1)}, concatenated: {concatBatch.Ids.size(0)}×{concatBatch.Ids.size(1)}");
        output.WriteLine($"shared-prompt packing vs separate: max |diff| {dp:E2}; concatenated vs separate: {dc:E2}");
        Assert.True(dp <= 1e-5, $"packed log-probs differ from separate sequences by {dp}");
        Assert.True(dc <= 1e-5, $"concatenated log-probs differ from separate sequences by {dc}");
        Assert.Equal(ToDoubles(concat.Count), ToDoubles(packed.Count));
        Assert.True(packedBatch.RealTokens < concatBatch.RealTokens, "packing must put fewer tokens through the model");
    }

    [Fact]
    public void Packing_without_the_segment_mask_would_change_the_rejected_log_probs()
    {
        // The check above can only fail if the mask matters: a plain causal mask over the packed row lets rejected
        // tokens see the chosen ones, and their log-probs move.
        using var model = SmallModel(seed: 13);
        var pairs = RandomPairs(3, seed: 15);
        using var scope = torch.NewDisposeScope();
        var packed = PairLayouts.SharedPrompt(pairs);
        var leaky = packed with { Allowed = null };
        var good = ToDoubles(CompletionLogps.Compute(model, packed).Sum);
        var bad = ToDoubles(CompletionLogps.Compute(model, leaky).Sum);
        Assert.True(MaxAbsDiff(good[..3], bad[..3]) <= 1e-6, "chosen rows see only the prompt and themselves either way");
        Assert.True(MaxAbsDiff(good[3..], bad[3..]) > 1e-3, "rejected rows must change when they can see the chosen tokens");
    }

    [Fact]
    public void Packed_and_concatenated_layouts_give_the_same_parameter_gradients()
    {
        var pairs = RandomPairs(3, seed: 16);
        var options = new LossOptions();
        double[] Grads(Func<LogpBatch> layout)
        {
            using var model = SmallModel(seed: 17, trainable: true);
            using var scope = torch.NewDisposeScope();
            Tensor refC, refR;
            using (torch.no_grad())
            {
                var reference = CompletionLogps.Compute(model, PairLayouts.Concatenated(pairs)).SplitPairs();
                // an arbitrary but fixed reference, so Δ ≠ 0 and the gradient is not symmetric
                (refC, refR) = (reference.Chosen.Sum.add(0.3), reference.Rejected.Sum.sub(0.2));
            }
            var (c, r) = CompletionLogps.Compute(model, layout()).SplitPairs();
            PreferenceLoss.Compute(options, c, r, refC, refR).Loss.backward();
            return [.. model.Weights.All.SelectMany(p => ToDoubles(p.Tensor.grad!.flatten()))];
        }
        var packed = Grads(() => PairLayouts.SharedPrompt(pairs));
        var concat = Grads(() => PairLayouts.Concatenated(pairs));
        var d = MaxAbsDiff(packed, concat);
        output.WriteLine($"parameter gradients, packed vs concatenated: max |diff| {d:E2} over {packed.Length} values (max |g| {packed.Max(Math.Abs):E2})");
        Assert.True(d <= 1e-6, $"gradients differ by {d}");
        Assert.Contains(packed, g => g != 0);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Step_one_dpo_on_a_model_is_ln2_with_zero_accuracy_and_nonzero_gradients(bool packed)
    {
        using var model = SmallModel(seed: 18, trainable: true);
        var pairs = RandomPairs(4, seed: 19);
        using var scope = torch.NewDisposeScope();
        var batch = packed ? PairLayouts.SharedPrompt(pairs) : PairLayouts.Concatenated(pairs);
        SequenceLogps reference;
        using (torch.no_grad()) reference = CompletionLogps.Compute(model, batch);
        var (refC, refR) = reference.SplitPairs();
        var (c, r) = CompletionLogps.Compute(model, batch).SplitPairs();
        var result = PreferenceLoss.Compute(new LossOptions(), c, r, refC.Sum, refR.Sum);
        result.Loss.backward();
        output.WriteLine(string.Join(", ", result.Metrics.Select(kv => $"{kv.Key}={kv.Value:G6}")));
        Assert.Equal(Math.Log(2), result.Loss.ToDouble(), 6);
        Assert.Equal(0.0, result.Metrics["rewards/accuracies"]);
        Assert.Equal(0.0, result.Metrics["rewards/chosen"], 9);
        Assert.True(result.Metrics["logps/chosen"] < 0);
        Assert.True(model.Weights["model.embed_tokens.weight"].grad!.abs().max().ToSingle() > 0);
    }

    [Fact]
    public void A_loss_and_backward_inside_a_scope_leave_no_live_tensor()
    {
        using var model = SmallModel(seed: 20, trainable: true);
        var pairs = RandomPairs(3, seed: 21);
        void Step(LossOptions o)
        {
            using var scope = torch.NewDisposeScope();
            var batch = PairLayouts.SharedPrompt(pairs);
            SequenceLogps reference;
            using (torch.no_grad()) reference = CompletionLogps.Compute(model, batch, chunk: 5);
            var (c, r) = CompletionLogps.Compute(model, batch, chunk: 5).SplitPairs();
            var (rc, rr) = reference.SplitPairs();
            PreferenceLoss.Compute(o, c, r, rc.Sum, rr.Sum).Loss.backward();
        }
        Step(new LossOptions());   // warm-up: first-call allocations
        var leaked = LiveTensors.Leaked(() =>
        {
            foreach (var type in new[] { LossType.Sigmoid, LossType.Ipo, LossType.Orpo, LossType.SimPO })
                Step(new LossOptions { Losses = [type, LossType.Sft] });
        });
        Assert.Equal(0, leaked);
    }

    [Fact]
    public void Sft_loss_equals_cross_entropy_with_ignore_index_over_shifted_labels()
    {
        using var model = SmallModel(seed: 23);
        var pairs = RandomPairs(4, seed: 24);
        using var scope = torch.NewDisposeScope();
        var batch = PairLayouts.Completions([.. pairs.Select(p => (p.Prompt, p.Chosen))]);
        var ours = SftLoss.Compute(CompletionLogps.Compute(model, batch, chunk: 5));
        // libtorch's own masked NLL: logits (B, T-1, V) against labels shifted left, -100 ignored, token mean
        long b = batch.Ids.size(0), t = batch.Ids.size(1);
        var logits = model.Forward(batch.Ids, batch.AttentionMask).narrow(1, 0, t - 1).reshape(b * (t - 1), Vocab);
        var labels = torch.tensor(Labels(batch), [b, t]).narrow(1, 1, t - 1).reshape(b * (t - 1));
        var reference = torch.nn.functional.cross_entropy(logits, labels, ignore_index: -100).ToSingle();
        output.WriteLine($"SFT loss {ours.Metrics["loss"]:F7} vs cross_entropy {reference:F7}");
        Assert.Equal(reference, ours.Loss.ToDouble(), 5);
        Assert.Equal(pairs.Sum(p => p.Chosen.Length), ours.Metrics["num_tokens"]);
    }

    [Fact]
    public void Kto_mismatched_pairs_rotate_completions_by_one()
    {
        (long[], long[])[] examples = [([1], [10]), ([2], [20]), ([3], [30])];
        var m = PairLayouts.Mismatched(examples);
        Assert.Equal([1L, 2, 3], m.Select(e => e.Prompt[0]));
        Assert.Equal([20L, 30, 10], m.Select(e => e.Completion[0]));
        Assert.Throws<ArgumentException>(() => PairLayouts.Mismatched([([1], [10])]));
    }

    [Fact]
    public void Bad_batches_are_refused_with_the_row_named()
    {
        var pairs = RandomPairs(3, seed: 22);
        pairs[1] = pairs[1] with { Rejected = [] };
        var e = Assert.Throws<ArgumentException>(() => PairLayouts.SharedPrompt(pairs));
        Assert.Contains("pair 1", e.Message);
        var e2 = Assert.Throws<ArgumentException>(() => TokenTargets.FromLabels([5, 6, -100, -100, 7, 8], 2, 3));
        Assert.Contains("row 0 position 0", e2.Message);
        using var scope = torch.NewDisposeScope();
        var empty = new SequenceLogps(torch.tensor(new[] { -1.0, 0.0 }), torch.tensor(new[] { 3.0, 0.0 }));
        var full = new SequenceLogps(torch.tensor(new[] { -1.0, -2.0 }), torch.tensor(new[] { 3.0, 4.0 }));
        var e3 = Assert.Throws<ArgumentException>(() => PreferenceLoss.Compute(new LossOptions(), full, empty, full.Sum, full.Sum));
        Assert.Contains("rejected sequence 1", e3.Message);
        var e4 = Assert.Throws<ArgumentException>(() => PreferenceLoss.Compute(new LossOptions(), full, full));
        Assert.Contains("reference", e4.Message);
    }
}

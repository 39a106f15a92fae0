using Toolkit.Train.Model;
using Toolkit.Train.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace Toolkit.Train.Losses;

/// <summary>
/// Per-sequence completion log-probs of a decoder without materializing (B, T, V) logits:
/// <list type="number">
/// <item>one forward to the final hidden states (B, T, E);</item>
/// <item>only the N positions that predict a completion token are picked (index_select) before the lm_head, so prompt
/// and padding positions never reach the vocabulary projection;</item>
/// <item>lm_head, float32 log-softmax and gather run over chunks of <c>chunk</c> positions, each in its own dispose scope,
/// so at most one (chunk, V) float32 logits block exists at a time;</item>
/// <item>per-sequence sums come from a (S, N) 0/1 assignment matrix times the N token log-probs (differentiable).</item>
/// </list>
/// Memory note: under autograd, log-softmax keeps its (chunk, V) output for the backward pass, so a training forward
/// holds N × V floats for the completion positions (not B × T × V), unless the decoder has
/// <see cref="Decoder.GradientCheckpointing"/> on: then each chunk keeps only its (chunk, E) hidden states and token ids
/// and backward recomputes its logits, so no (N, V) float32 tensor outlives its chunk (Liger-kernel-style chunked loss,
/// by recomputation). Under <c>no_grad</c> (the reference model) only one chunk lives at a time.
/// </summary>
public static class CompletionLogps
{
    /// <summary>Default positions per lm_head chunk: 512 × 32k vocab × 4 bytes = 64 MB per block.</summary>
    public const int DefaultChunk = 512;

    /// <summary>Runs <paramref name="model"/> on <paramref name="batch"/> and returns its (S) sums, counts and logit sums.</summary>
    /// <remarks>
    /// The forward runs in its own dispose scope and only the (S) results leave it: the forward's temporaries that autograd
    /// does not keep (upcasts, masked scores, repeated K/V, logits blocks) are freed before the caller's backward pass.
    /// With <see cref="Decoder.GradientCheckpointing"/> on (under grad mode), the freed heap is then returned to the OS
    /// (<see cref="HeapTrim"/>), so the backward's peak does not sit on the forward's leftovers.
    /// </remarks>
    public static SequenceLogps Compute(Decoder model, LogpBatch batch, int chunk = DefaultChunk)
    {
        SequenceLogps result;
        using (var scope = torch.NewDisposeScope())
        {
            var hidden = model.Hidden(batch.Ids, batch.AttentionMask, batch.PositionIds, batch.Allowed);   // (B, T, E)
            var r = FromHidden(model, hidden, batch.Targets, chunk);
            result = new SequenceLogps(r.Sum.MoveToOuterDisposeScope(), r.Count.MoveToOuterDisposeScope(), r.LogitsSum?.MoveToOuterDisposeScope(), r.Vocab);
        }
        if (model.GradientCheckpointing && torch.is_grad_enabled()) HeapTrim.Now();   // memory mode: the forward's freed temporaries go back to the OS before backward
        return result;
    }

    /// <summary>The lm_head part of <see cref="Compute"/> on final hidden states (B, T, E) already computed.</summary>
    public static SequenceLogps FromHidden(Decoder model, Tensor hidden, TokenTargets targets, int chunk = DefaultChunk)
    {
        if (chunk < 1) throw new ArgumentOutOfRangeException(nameof(chunk), chunk, "positions per lm_head chunk must be ≥ 1");
        long b = hidden.size(0), t = hidden.size(1), e = hidden.size(2), n = targets.Count, s = targets.SequenceCount;
        foreach (var p in targets.Positions)
            if (p < 0 || p >= b * t) throw new ArgumentException($"target position {p} is outside the (B {b} × T {t}) batch");

        var flat = hidden.reshape(b * t, e);                                             // (B·T, E)
        var picked = flat.index_select(0, torch.tensor(targets.Positions));             // (N, E)
        var tokens = torch.tensor(targets.Tokens).unsqueeze(1);                         // (N, 1)
        var tokenLogps = new List<Tensor>();
        var logitSums = new List<Tensor>();
        for (long start = 0; start < n; start += chunk)
        {
            var len = Math.Min(chunk, n - start);
            using var scope = torch.NewDisposeScope();
            var x = picked.narrow(0, start, len);                                       // (c, E)
            var y = tokens.narrow(0, start, len);                                       // (c, 1)
            var first = true;   // the logit sums (a metric) come from the forward, not from backward's recomputation
            Tensor Chunk(Tensor hc, Tensor[] ctx)
            {
                var logits = model.Logits(hc).to(ScalarType.Float32);                   // (c, V)
                if (first) using (torch.no_grad()) logitSums.Add(logits.detach().sum(-1).MoveToOuterDisposeScope());   // (c)
                first = false;
                return logits.log_softmax(-1).gather(1, ctx[0]).squeeze(1);            // (c)
            }
            var lp = model.GradientCheckpointing ? ActivationCheckpoint.Run(Chunk, x, y) : Chunk(x, [y]);
            tokenLogps.Add(lp.MoveToOuterDisposeScope());
        }
        var vocab = model.Config.VocabSize;
        var assign = Assignment(targets);                                                // (S, N)
        var counts = new float[s];
        foreach (var q in targets.Sequences) counts[q]++;
        if (n == 0)
            return new SequenceLogps(torch.zeros([s]), torch.tensor(counts), torch.zeros([s]), vocab);
        var sum = assign.Matmul(torch.cat([.. tokenLogps]));                            // (S)
        Tensor logitSum;
        using (torch.no_grad()) logitSum = assign.Matmul(torch.cat([.. logitSums]));    // (S)
        return new SequenceLogps(sum, torch.tensor(counts), logitSum, vocab);
    }

    /// <summary>(S, N) float32 with 1 where token i belongs to sequence s.</summary>
    static Tensor Assignment(TokenTargets targets)
    {
        int s = targets.SequenceCount, n = targets.Count;
        var m = new float[(long)s * n];
        for (var i = 0; i < n; i++)
        {
            var q = targets.Sequences[i];
            if (q < 0 || q >= s) throw new ArgumentException($"target {i} names sequence {q}, outside [0, {s})");
            m[(long)q * n + i] = 1;
        }
        return torch.tensor(m, [s, n]);
    }
}

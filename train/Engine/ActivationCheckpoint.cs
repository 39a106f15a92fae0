using static TorchSharp.torch;

namespace Toolkit.Train.Engine;

/// <summary>
/// Activation checkpointing, which TorchSharp 0.107 lacks (no <c>torch.utils.checkpoint</c>): <see cref="Run"/> computes
/// <c>block(x, context)</c> without keeping the block's intermediate activations for backward; backward recomputes them
/// from the saved input under grad mode and back-propagates through the recomputation (the reentrant variant of
/// PyTorch's <c>checkpoint</c>, Chen et al. 2016, "Training Deep Nets with Sublinear Memory Cost").
/// <list type="bullet">
/// <item>Gradients reach every parameter the block uses (they accumulate into <c>.grad</c>, as usual) and <c>x</c>.</item>
/// <item>The context tensors (rotary tables, masks, token ids) are saved with <c>x</c> by libtorch, so they
/// outlive the dispose scope of the forward that made them; they get no gradient (pass none that needs one).</item>
/// <item>The recomputation runs under the CPU autocast state of the forward (on or off, and its dtype), so a bf16 forward
/// is recomputed in bf16 even though backward runs after the autocast scope has ended.</item>
/// <item>When <c>x</c> needs no gradient (the embedding is frozen, as under LoRA) it is made to need one here, or the
/// block's parameters would get none (transformers' <c>enable_input_require_grads</c>).</item>
/// </list>
/// Memory: one saved input per block instead of all its activations; cost: one more forward of the block in backward.
/// The block must be deterministic (no dropout: its RNG is not replayed) and must not change its inputs in place.
/// Under <c>no_grad</c> it is just <c>block(x, context)</c>.
/// </summary>
public static class ActivationCheckpoint
{
    [ThreadStatic] static long _recomputed;

    /// <summary>How many checkpointed blocks backward has recomputed on this thread so far (a diagnostic: it shows checkpointing is in effect).</summary>
    public static long Recomputed => _recomputed;

    /// <summary><paramref name="block"/>(<paramref name="x"/>, <paramref name="context"/>) with its activations recomputed in backward; shape and dtype as the block's.</summary>
    public static Tensor Run(Func<Tensor, Tensor[], Tensor> block, Tensor x, params Tensor[] context)
    {
        if (!is_grad_enabled()) return block(x, context);
        if (!x.requires_grad) x = x.detach().requires_grad_();
        var autocast = Autocast.IsEnabled ? Autocast.Dtype : (ScalarType?)null;
        return Checkpointed.apply(x, new Saved(block, context, autocast));
    }

    /// <summary>What backward needs besides x: the block, its context tensors (saved natively in forward) and the autocast state.</summary>
    sealed record Saved(Func<Tensor, Tensor[], Tensor> Block, Tensor[] Context, ScalarType? Autocast);

    sealed class Checkpointed : autograd.SingleTensorFunction<Checkpointed>
    {
        public override string Name => "ActivationCheckpoint";

        public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
        {
            var x = (Tensor)vars[0];
            var saved = (Saved)vars[1];
            ctx.save_for_backward([x, .. saved.Context]);     // native saved variables: they outlive the caller's scopes
            ctx.save_data("saved", saved with { Context = [] });
            return saved.Block(x, saved.Context);             // TorchSharp runs forward under no_grad: no activations kept
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad_output)
        {
            using var scope = NewDisposeScope();
            var saved = (Saved)ctx.get_data("saved");
            var tensors = ctx.get_saved_variables();
            using var grad = enable_grad();
            using var cast = Autocast.Enable(saved.Autocast is not null, saved.Autocast ?? ScalarType.BFloat16);
            var input = tensors[0].detach().requires_grad_();
            var y = saved.Block(input, [.. tensors.Skip(1)]);
            autograd.backward([y], [grad_output]);
            _recomputed++;
            return [input.grad!.MoveToOuterDisposeScope(), null!];
        }
    }
}

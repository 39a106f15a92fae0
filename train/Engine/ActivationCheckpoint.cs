using static TorchSharp.torch;

namespace Toolkit.Train.Engine;

/// <summary>
/// Activation checkpointing, which TorchSharp 0.107 lacks (no <c>torch.utils.checkpoint</c>): <see cref="Run"/> computes
/// <c>block(x)</c> without keeping the block's intermediate activations for backward; backward recomputes them from the
/// saved input under grad mode and back-propagates through the recomputation (the reentrant variant of PyTorch's
/// checkpoint). Gradients reach every parameter <c>block</c> uses (they accumulate into <c>.grad</c> as usual) and the
/// input. Memory: one saved input per block instead of all its activations; cost: one more forward of the block in
/// backward. The block must be deterministic (no dropout: its RNG is not replayed).
/// </summary>
public static class ActivationCheckpoint
{
    /// <summary><paramref name="block"/>(<paramref name="x"/>) with its activations recomputed in backward; shape and dtype as the block's.</summary>
    public static Tensor Run(Func<Tensor, Tensor> block, Tensor x) =>
        is_grad_enabled() ? Checkpointed.apply(x, block) : block(x);

    sealed class Checkpointed : autograd.SingleTensorFunction<Checkpointed>
    {
        public override string Name => "ActivationCheckpoint";

        public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
        {
            var x = (Tensor)vars[0];
            ctx.save_for_backward([x]);
            ctx.save_data("block", vars[1]);
            return ((Func<Tensor, Tensor>)vars[1])(x);      // TorchSharp runs forward under no_grad: no activations kept
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad_output)
        {
            var x = ctx.get_saved_variables()[0];
            var block = (Func<Tensor, Tensor>)ctx.get_data("block");
            using var grad = enable_grad();
            using var input = x.detach().requires_grad_(x.requires_grad);
            using var y = block(input);
            autograd.backward([y], [grad_output]);
            return [(input.requires_grad ? input.grad : null)!, null!];
        }
    }
}

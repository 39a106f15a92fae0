using static TorchSharp.torch;

namespace Toolkit.Train.Engine;

/// <summary>
/// TorchSharp's AdamW (Loshchilov &amp; Hutter 2019, Algorithm 2; PyTorch's single-tensor <c>adamw</c>), with the same
/// state, options, state-dict format and, bit for bit, the same update, but two memory fixes:
/// <list type="bullet">
/// <item><see cref="AdamW.step"/> frees each parameter's temporaries before the next parameter: TorchSharp 0.107 runs the
/// whole step in one dispose scope, so its two parameter-sized temporaries per parameter (sqrt(v̂) and its quotient)
/// all live until the step ends — two extra copies of the model at the step's peak. Here the denominator is one
/// temporary, divided and offset in place (the same kernels, so the same bits), freed at once.</item>
/// <item><see cref="AdamW.zero_grad"/> sets gradients to none (PyTorch's default since 2.0, <c>set_to_none=True</c>), so the
/// gradients (one copy of the trainable weights) do not sit through the next forward; backward allocates them again.</item>
/// </list>
/// AMSGrad and <c>maximize</c> are not offered (the trainer uses neither). The class is named <c>AdamW</c> (nested in
/// <see cref="LowPeak"/>) because TorchSharp writes the optimizer's type name into <c>optimizer.bin</c> and refuses a
/// different one on load: checkpoints stay interchangeable with TorchSharp's AdamW.
/// </summary>
public static class LowPeak
{
    /// <summary>TorchSharp's AdamW with a low-peak step and set-to-none zero_grad (see <see cref="LowPeak"/>).</summary>
    public sealed class AdamW : TorchSharp.Modules.AdamW
    {
        /// <summary>One AdamW over <paramref name="groups"/> (each with its own lr, betas, eps, weight_decay); throws as TorchSharp's on a bad value.</summary>
        public AdamW(IEnumerable<ParamGroup> groups, double lr, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0)
            : base(groups, lr, beta1, beta2, eps, weightDecay) { }

        /// <summary>One update of every parameter with a gradient; parameters without one (none after <see cref="zero_grad"/> and no backward) are skipped.</summary>
        public override Tensor step(Func<Tensor>? closure = null)
        {
            if (closure is not null) throw new NotSupportedException("LowPeak.AdamW.step takes no closure: run forward and backward before step()");
            using var noGrad = no_grad();
            foreach (var group in _parameter_groups)
            {
                var o = (Options)group.Options;
                double beta1 = o.beta1!.Value, beta2 = o.beta2!.Value, decay = o.weight_decay!.Value, eps = o.eps!.Value, lr = o.LearningRate!.Value;
                if (o.amsgrad == true || o.maximize == true) throw new NotSupportedException("LowPeak.AdamW has no AMSGrad or maximize");
                foreach (var param in group.Parameters)
                {
                    using var scope = NewDisposeScope();
                    var grad = param.grad;
                    if (grad is null) continue;
                    var state = (State)_state[param.Handle];
                    state.step += 1;
                    if (decay != 0) param.mul_(1 - lr * decay);           // x·1 is x: skipping it changes no bit
                    var biasCorrection1 = 1 - Math.Pow(beta1, state.step);
                    var biasCorrection2 = 1 - Math.Pow(beta2, state.step);
                    state.exp_avg.mul_(beta1).add_(grad, alpha: 1 - beta1);
                    state.exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value: 1 - beta2);
                    var denom = state.exp_avg_sq.sqrt().div_(Math.Sqrt(biasCorrection2)).add_(eps);
                    param.addcdiv_(state.exp_avg, denom, value: -(lr / biasCorrection1));
                }
            }
            return null!;
        }

        /// <summary>Sets every parameter's gradient to none (set_to_none=True).</summary>
        public override void zero_grad()
        {
            foreach (var group in _parameter_groups)
                foreach (var p in group.Parameters)
                    p.grad = null;
        }
    }
}

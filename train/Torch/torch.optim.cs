using Toolkit.Train.Torch.Native;

#pragma warning disable CS8981 // lower-case type names (torch, nn, optim) are deliberate: the TorchSharp surface

namespace Toolkit.Train.Torch;

public static partial class torch
{
    /// <summary>Optimizers, as <c>torch.optim</c>.</summary>
    public static class optim
    {
        /// <summary>
        /// AdamW (Loshchilov &amp; Hutter, "Decoupled Weight Decay Regularization", ICLR 2019, Algorithm 2) as implemented by
        /// libtorch's <c>torch::optim::AdamW</c>: p ← p·(1 − lr·wd); m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²;
        /// p ← p − lr·(m/(1−β1ᵗ)) / (√(v/(1−β2ᵗ)) + eps). The optimizer keeps its own references to the parameters:
        /// disposing the C# parameter tensors does not invalidate it. Dispose it to free its state.
        /// </summary>
        public sealed class AdamW : IDisposable
        {
            readonly AdamWHandle _handle;

            /// <summary>Creates the optimizer over <paramref name="parameters"/> (leaf tensors with requires_grad).</summary>
            public AdamW(IEnumerable<Tensor> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
                double eps = 1e-8, double weight_decay = 1e-2, bool amsgrad = false)
            {
                var ps = parameters as Tensor[] ?? [.. parameters];
                if (ps.Length == 0) throw new ArgumentException("AdamW needs at least one parameter tensor", nameof(parameters));
                if (lr < 0) throw new ArgumentOutOfRangeException(nameof(lr), lr, "learning rate must be >= 0");
                using var h = new HandleList(ps);
                _handle = new AdamWHandle(Lib.Check(Lib.tk_optim_adamw_new(h.Raw, h.Raw.Length, lr, beta1, beta2, eps, weight_decay, amsgrad ? 1 : 0)));
            }

            /// <summary>One update of every parameter that has a gradient.</summary>
            public void step() => Lib.Check(Lib.tk_optim_adamw_step(_handle));

            /// <summary>Drops (<paramref name="set_to_none"/>) or zeroes every parameter's gradient.</summary>
            public void zero_grad(bool set_to_none = true) => Lib.Check(Lib.tk_optim_adamw_zero_grad(_handle, set_to_none ? 1 : 0));

            /// <summary>Sets the learning rate of every parameter group (for schedules).</summary>
            public void set_lr(double lr) => Lib.Check(Lib.tk_optim_adamw_set_lr(_handle, lr));

            /// <summary>The current learning rate (of the first parameter group).</summary>
            public double get_lr()
            {
                Lib.Check(Lib.tk_optim_adamw_get_lr(_handle, out var v));
                return v;
            }

            /// <summary>Writes the optimizer state (moments, step counts) to <paramref name="path"/> (libtorch archive).</summary>
            public void save(string path) => Lib.Check(Lib.tk_optim_adamw_save(_handle, path));

            /// <summary>Restores state written by <see cref="save"/> for the same parameter list (same order and shapes).</summary>
            public void load(string path)
            {
                if (!File.Exists(path)) throw new FileNotFoundException($"optimizer state '{path}' not found", path);
                Lib.Check(Lib.tk_optim_adamw_load(_handle, path));
            }

            /// <summary>Frees the native optimizer and its state.</summary>
            public void Dispose() => _handle.Dispose();
        }
    }
}

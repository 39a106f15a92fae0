using Toolkit.Train.Torch.Native;

#pragma warning disable CS8981 // lower-case type names (torch, nn, optim) are deliberate: the TorchSharp surface

namespace Toolkit.Train.Torch;

public static partial class torch
{
    /// <summary>Neural-network functions (<see cref="functional"/>) and utilities (<see cref="utils"/>).</summary>
    public static class nn
    {
        /// <summary>How a loss reduces over elements.</summary>
        public enum Reduction
        {
            /// <summary>One loss per element.</summary>
            None = 0,
            /// <summary>Mean over counted elements (for cross_entropy: those whose target is not ignore_index).</summary>
            Mean = 1,
            /// <summary>Sum.</summary>
            Sum = 2,
        }

        /// <summary>Stateless functions, as <c>torch.nn.functional</c>.</summary>
        public static class functional
        {
            /// <summary>x * sigmoid(x).</summary>
            public static Tensor silu(Tensor x) => x.silu();
            /// <summary>max(x, 0).</summary>
            public static Tensor relu(Tensor x) => x.relu();
            /// <summary>GELU (exact erf form, or the tanh approximation).</summary>
            public static Tensor gelu(Tensor x, bool tanh_approximation = false) => Tensor.From(Lib.tk_tensor_gelu(x.Handle, tanh_approximation ? 1 : 0));
            /// <summary>Softmax along <paramref name="dim"/>.</summary>
            public static Tensor softmax(Tensor x, long dim) => x.softmax(dim);
            /// <summary>log(softmax) along <paramref name="dim"/>.</summary>
            public static Tensor log_softmax(Tensor x, long dim) => x.log_softmax(dim);
            /// <summary>log(sigmoid(x)).</summary>
            public static Tensor logsigmoid(Tensor x) => x.logsigmoid();

            /// <summary>
            /// Cross entropy of logits <paramref name="input"/> (N, C) [or (N, C, d...)] against int64 class indices
            /// <paramref name="target"/> (N) [or (N, d...)]; targets equal to <paramref name="ignore_index"/> count for nothing
            /// (not even in the Mean's denominator).
            /// </summary>
            public static Tensor cross_entropy(Tensor input, Tensor target, long ignore_index = -100,
                Reduction reduction = Reduction.Mean, double label_smoothing = 0) =>
                Tensor.From(Lib.tk_nn_cross_entropy(input.Handle, target.Handle, ignore_index, (int)reduction, label_smoothing));

            /// <summary>Negative log-likelihood of log-probabilities <paramref name="input"/> (N, C) at <paramref name="target"/>.</summary>
            public static Tensor nll_loss(Tensor input, Tensor target, long ignore_index = -100, Reduction reduction = Reduction.Mean) =>
                Tensor.From(Lib.tk_nn_nll_loss(input.Handle, target.Handle, ignore_index, (int)reduction));

            /// <summary>Rows of <paramref name="weight"/> (V, D) at int64 <paramref name="indices"/>: (..., D).</summary>
            public static Tensor embedding(Tensor indices, Tensor weight, long padding_idx = -1) =>
                Tensor.From(Lib.tk_nn_embedding(weight.Handle, indices.Handle, padding_idx));

            /// <summary>Zeroes elements with probability <paramref name="p"/> and scales the rest by 1/(1-p) when <paramref name="training"/>.</summary>
            public static Tensor dropout(Tensor x, double p = 0.5, bool training = true) =>
                Tensor.From(Lib.tk_nn_dropout(x.Handle, p, training ? 1 : 0));

            /// <summary>x @ weight^T + bias; x (..., in), weight (out, in), bias (out) or null.</summary>
            public static Tensor linear(Tensor x, Tensor weight, Tensor? bias = null) =>
                Tensor.From(Lib.tk_tensor_linear(x.Handle, weight.Handle, bias?.Handle ?? TensorHandle.None));

            /// <summary>Layer norm over the trailing <paramref name="normalized_shape"/>.</summary>
            public static Tensor layer_norm(Tensor x, long[] normalized_shape, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5) =>
                Tensor.From(Lib.tk_nn_layer_norm(x.Handle, normalized_shape, normalized_shape.Length,
                    weight?.Handle ?? TensorHandle.None, bias?.Handle ?? TensorHandle.None, eps));
        }

        /// <summary>Utilities over parameter lists.</summary>
        public static class utils
        {
            /// <summary>
            /// Scales the gradients of <paramref name="parameters"/> in place so their joint 2-norm is at most
            /// <paramref name="max_norm"/>; returns the total norm before clipping (0 when no parameter has a gradient).
            /// </summary>
            public static double clip_grad_norm_(IEnumerable<Tensor> parameters, double max_norm)
            {
                var ps = parameters as Tensor[] ?? [.. parameters];
                using var h = new HandleList(ps);
                Lib.Check(Lib.tk_optim_clip_grad_norm(h.Raw, h.Raw.Length, max_norm, out var norm));
                return norm;
            }
        }
    }
}

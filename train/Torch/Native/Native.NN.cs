using System.Runtime.InteropServices;

namespace Toolkit.Train.Torch.Native;

// tk_nn.cpp: nn functions, autograd, grad mode, autocast.
internal static unsafe partial class Lib
{
    [LibraryImport(Name)] internal static partial nint tk_nn_cross_entropy(TensorHandle input, TensorHandle target, long ignore_index, int reduction, double label_smoothing);
    [LibraryImport(Name)] internal static partial nint tk_nn_nll_loss(TensorHandle input, TensorHandle target, long ignore_index, int reduction);
    [LibraryImport(Name)] internal static partial nint tk_nn_embedding(TensorHandle weight, TensorHandle indices, long padding_idx);
    [LibraryImport(Name)] internal static partial nint tk_nn_dropout(TensorHandle input, double p, int train);
    [LibraryImport(Name)] internal static partial nint tk_nn_layer_norm(TensorHandle input, ReadOnlySpan<long> normalized_shape, long ndim, TensorHandle weight, TensorHandle bias, double eps);

    [LibraryImport(Name)] internal static partial int tk_autograd_set_requires_grad(TensorHandle t, int requires_grad);
    [LibraryImport(Name)] internal static partial int tk_autograd_requires_grad(TensorHandle t);
    [LibraryImport(Name)] internal static partial int tk_autograd_is_leaf(TensorHandle t);
    [LibraryImport(Name)] internal static partial int tk_autograd_backward(TensorHandle t, TensorHandle grad, int retain_graph, int create_graph);
    [LibraryImport(Name)] internal static partial int tk_autograd_grad(TensorHandle t, out nint /* tk_tensor_t */ grad);
    [LibraryImport(Name)] internal static partial int tk_autograd_zero_grad(TensorHandle t, int set_to_none);
    [LibraryImport(Name)] internal static partial nint tk_autograd_detach(TensorHandle t);
    [LibraryImport(Name)] internal static partial int tk_autograd_set_grad_enabled(int enabled);
    [LibraryImport(Name)] internal static partial int tk_autograd_is_grad_enabled();

    [LibraryImport(Name)] internal static partial int tk_autocast_enter(int dtype);
    [LibraryImport(Name)] internal static partial int tk_autocast_exit(int prev_enabled, int prev_dtype);
    [LibraryImport(Name)] internal static partial int tk_autocast_is_enabled();
    [LibraryImport(Name)] internal static partial int tk_autocast_dtype();
}

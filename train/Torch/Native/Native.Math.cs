using System.Runtime.InteropServices;

namespace Toolkit.Train.Torch.Native;

// tk_math.cpp: elementwise math, reductions, matmul family, comparisons.
internal static unsafe partial class Lib
{
    [LibraryImport(Name)] internal static partial nint tk_tensor_add(TensorHandle a, TensorHandle b, double alpha);
    [LibraryImport(Name)] internal static partial nint tk_tensor_sub(TensorHandle a, TensorHandle b, double alpha);
    [LibraryImport(Name)] internal static partial nint tk_tensor_mul(TensorHandle a, TensorHandle b);
    [LibraryImport(Name)] internal static partial nint tk_tensor_div(TensorHandle a, TensorHandle b);
    [LibraryImport(Name)] internal static partial nint tk_tensor_add_scalar(TensorHandle a, double s);
    [LibraryImport(Name)] internal static partial nint tk_tensor_sub_scalar(TensorHandle a, double s);
    [LibraryImport(Name)] internal static partial nint tk_tensor_mul_scalar(TensorHandle a, double s);
    [LibraryImport(Name)] internal static partial nint tk_tensor_div_scalar(TensorHandle a, double s);
    [LibraryImport(Name)] internal static partial nint tk_tensor_rsub_scalar(TensorHandle a, double s);
    [LibraryImport(Name)] internal static partial nint tk_tensor_rdiv_scalar(TensorHandle a, double s);
    [LibraryImport(Name)] internal static partial nint tk_tensor_pow_scalar(TensorHandle a, double e);
    [LibraryImport(Name)] internal static partial nint tk_tensor_pow(TensorHandle a, TensorHandle e);
    [LibraryImport(Name)] internal static partial nint tk_tensor_maximum(TensorHandle a, TensorHandle b);
    [LibraryImport(Name)] internal static partial nint tk_tensor_minimum(TensorHandle a, TensorHandle b);
    [LibraryImport(Name)] internal static partial int tk_tensor_add_(TensorHandle a, TensorHandle b, double alpha);
    [LibraryImport(Name)] internal static partial int tk_tensor_mul_scalar_(TensorHandle a, double s);
    [LibraryImport(Name)] internal static partial int tk_tensor_zero_(TensorHandle a);
    [LibraryImport(Name)] internal static partial int tk_tensor_fill_(TensorHandle a, double v);

    [LibraryImport(Name)] internal static partial nint tk_tensor_matmul(TensorHandle a, TensorHandle b);
    [LibraryImport(Name)] internal static partial nint tk_tensor_bmm(TensorHandle a, TensorHandle b);
    [LibraryImport(Name)] internal static partial nint tk_tensor_outer(TensorHandle a, TensorHandle b);
    [LibraryImport(Name)] internal static partial nint tk_tensor_linear(TensorHandle x, TensorHandle weight, TensorHandle bias);

    [LibraryImport(Name)] internal static partial nint tk_tensor_exp(TensorHandle a);
    [LibraryImport(Name)] internal static partial nint tk_tensor_log(TensorHandle a);
    [LibraryImport(Name)] internal static partial nint tk_tensor_sqrt(TensorHandle a);
    [LibraryImport(Name)] internal static partial nint tk_tensor_rsqrt(TensorHandle a);
    [LibraryImport(Name)] internal static partial nint tk_tensor_neg(TensorHandle a);
    [LibraryImport(Name)] internal static partial nint tk_tensor_abs(TensorHandle a);
    [LibraryImport(Name)] internal static partial nint tk_tensor_cos(TensorHandle a);
    [LibraryImport(Name)] internal static partial nint tk_tensor_sin(TensorHandle a);
    [LibraryImport(Name)] internal static partial nint tk_tensor_tanh(TensorHandle a);
    [LibraryImport(Name)] internal static partial nint tk_tensor_sigmoid(TensorHandle a);
    [LibraryImport(Name)] internal static partial nint tk_tensor_relu(TensorHandle a);
    [LibraryImport(Name)] internal static partial nint tk_tensor_silu(TensorHandle a);
    [LibraryImport(Name)] internal static partial nint tk_tensor_gelu(TensorHandle a, int tanh_approx);
    [LibraryImport(Name)] internal static partial nint tk_tensor_logsigmoid(TensorHandle a);
    [LibraryImport(Name)] internal static partial nint tk_tensor_clamp(TensorHandle a, double min, int has_min, double max, int has_max);

    [LibraryImport(Name)] internal static partial nint tk_tensor_sum(TensorHandle a);
    [LibraryImport(Name)] internal static partial nint tk_tensor_mean(TensorHandle a);
    [LibraryImport(Name)] internal static partial nint tk_tensor_sum_dims(TensorHandle a, ReadOnlySpan<long> dims, long n, int keepdim);
    [LibraryImport(Name)] internal static partial nint tk_tensor_mean_dims(TensorHandle a, ReadOnlySpan<long> dims, long n, int keepdim);
    [LibraryImport(Name)] internal static partial nint tk_tensor_amax(TensorHandle a, ReadOnlySpan<long> dims, long n, int keepdim);
    [LibraryImport(Name)] internal static partial nint tk_tensor_max_all(TensorHandle a);
    [LibraryImport(Name)] internal static partial nint tk_tensor_min_all(TensorHandle a);
    [LibraryImport(Name)] internal static partial int tk_tensor_max_dim(TensorHandle a, long dim, int keepdim, out nint /* tk_tensor_t */ values, out nint /* tk_tensor_t */ indices);
    [LibraryImport(Name)] internal static partial int tk_tensor_min_dim(TensorHandle a, long dim, int keepdim, out nint /* tk_tensor_t */ values, out nint /* tk_tensor_t */ indices);
    [LibraryImport(Name)] internal static partial nint tk_tensor_argmax(TensorHandle a, long dim, int keepdim);
    [LibraryImport(Name)] internal static partial int tk_tensor_topk(TensorHandle a, long k, long dim, int largest, int sorted, out nint /* tk_tensor_t */ values, out nint /* tk_tensor_t */ indices);
    [LibraryImport(Name)] internal static partial nint tk_tensor_cumsum(TensorHandle a, long dim);
    [LibraryImport(Name)] internal static partial nint tk_tensor_norm(TensorHandle a, double p);
    [LibraryImport(Name)] internal static partial nint tk_tensor_softmax(TensorHandle a, long dim);
    [LibraryImport(Name)] internal static partial nint tk_tensor_log_softmax(TensorHandle a, long dim);
    [LibraryImport(Name)] internal static partial nint tk_tensor_logsumexp(TensorHandle a, long dim, int keepdim);

    [LibraryImport(Name)] internal static partial nint tk_tensor_compare(TensorHandle a, TensorHandle b, int op);
    [LibraryImport(Name)] internal static partial nint tk_tensor_compare_scalar(TensorHandle a, double b, int op);
    [LibraryImport(Name)] internal static partial nint tk_tensor_logical_and(TensorHandle a, TensorHandle b);
    [LibraryImport(Name)] internal static partial nint tk_tensor_logical_or(TensorHandle a, TensorHandle b);
    [LibraryImport(Name)] internal static partial nint tk_tensor_logical_not(TensorHandle a);
    [LibraryImport(Name)] internal static partial nint tk_tensor_masked_fill(TensorHandle a, TensorHandle mask, double value);
    [LibraryImport(Name)] internal static partial nint tk_tensor_where(TensorHandle cond, TensorHandle a, TensorHandle b);
    [LibraryImport(Name)] internal static partial int tk_tensor_equal(TensorHandle a, TensorHandle b);
    [LibraryImport(Name)] internal static partial int tk_tensor_allclose(TensorHandle a, TensorHandle b, double rtol, double atol);
}

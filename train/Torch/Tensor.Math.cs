using Toolkit.Train.Torch.Native;

namespace Toolkit.Train.Torch;

// Elementwise math, reductions, matmul family, comparisons. Scalars are doubles; a whole-number scalar applied to an
// integer tensor keeps the integer dtype (as in Python: int64 + 1 is int64).
public sealed partial class Tensor
{
    /// <summary>this + alpha * other (broadcasting).</summary>
    public Tensor add(Tensor other, double alpha = 1) => From(Lib.tk_tensor_add(Handle, other.Handle, alpha));
    /// <summary>this + s.</summary>
    public Tensor add(double s) => From(Lib.tk_tensor_add_scalar(Handle, s));
    /// <summary>this - alpha * other.</summary>
    public Tensor sub(Tensor other, double alpha = 1) => From(Lib.tk_tensor_sub(Handle, other.Handle, alpha));
    /// <summary>this - s.</summary>
    public Tensor sub(double s) => From(Lib.tk_tensor_sub_scalar(Handle, s));
    /// <summary>Elementwise product.</summary>
    public Tensor mul(Tensor other) => From(Lib.tk_tensor_mul(Handle, other.Handle));
    /// <summary>this * s.</summary>
    public Tensor mul(double s) => From(Lib.tk_tensor_mul_scalar(Handle, s));
    /// <summary>Elementwise true division.</summary>
    public Tensor div(Tensor other) => From(Lib.tk_tensor_div(Handle, other.Handle));
    /// <summary>this / s (true division).</summary>
    public Tensor div(double s) => From(Lib.tk_tensor_div_scalar(Handle, s));
    /// <summary>this ^ exponent.</summary>
    public Tensor pow(double exponent) => From(Lib.tk_tensor_pow_scalar(Handle, exponent));
    /// <summary>this ^ exponent, elementwise.</summary>
    public Tensor pow(Tensor exponent) => From(Lib.tk_tensor_pow(Handle, exponent.Handle));
    /// <summary>Elementwise maximum.</summary>
    public Tensor maximum(Tensor other) => From(Lib.tk_tensor_maximum(Handle, other.Handle));
    /// <summary>Elementwise minimum.</summary>
    public Tensor minimum(Tensor other) => From(Lib.tk_tensor_minimum(Handle, other.Handle));

    /// <summary>In place: this += alpha * other.</summary>
    public void add_(Tensor other, double alpha = 1) => Lib.Check(Lib.tk_tensor_add_(Handle, other.Handle, alpha));
    /// <summary>In place: this *= s.</summary>
    public void mul_(double s) => Lib.Check(Lib.tk_tensor_mul_scalar_(Handle, s));
    /// <summary>In place: all elements 0.</summary>
    public void zero_() => Lib.Check(Lib.tk_tensor_zero_(Handle));
    /// <summary>In place: all elements <paramref name="value"/>.</summary>
    public void fill_(double value) => Lib.Check(Lib.tk_tensor_fill_(Handle, value));

    /// <summary>Matrix product with broadcasting batch dims (torch.matmul).</summary>
    public Tensor matmul(Tensor other) => From(Lib.tk_tensor_matmul(Handle, other.Handle));
    /// <summary>Batched matrix product: (B, n, m) @ (B, m, p).</summary>
    public Tensor bmm(Tensor other) => From(Lib.tk_tensor_bmm(Handle, other.Handle));
    /// <summary>Outer product of two vectors.</summary>
    public Tensor outer(Tensor other) => From(Lib.tk_tensor_outer(Handle, other.Handle));

    /// <summary>e^x.</summary>
    public Tensor exp() => From(Lib.tk_tensor_exp(Handle));
    /// <summary>Natural log.</summary>
    public Tensor log() => From(Lib.tk_tensor_log(Handle));
    /// <summary>Square root.</summary>
    public Tensor sqrt() => From(Lib.tk_tensor_sqrt(Handle));
    /// <summary>1 / sqrt(x).</summary>
    public Tensor rsqrt() => From(Lib.tk_tensor_rsqrt(Handle));
    /// <summary>-x.</summary>
    public Tensor neg() => From(Lib.tk_tensor_neg(Handle));
    /// <summary>|x|.</summary>
    public Tensor abs() => From(Lib.tk_tensor_abs(Handle));
    /// <summary>cos(x).</summary>
    public Tensor cos() => From(Lib.tk_tensor_cos(Handle));
    /// <summary>sin(x).</summary>
    public Tensor sin() => From(Lib.tk_tensor_sin(Handle));
    /// <summary>tanh(x).</summary>
    public Tensor tanh() => From(Lib.tk_tensor_tanh(Handle));
    /// <summary>1 / (1 + e^-x).</summary>
    public Tensor sigmoid() => From(Lib.tk_tensor_sigmoid(Handle));
    /// <summary>max(x, 0).</summary>
    public Tensor relu() => From(Lib.tk_tensor_relu(Handle));
    /// <summary>x * sigmoid(x).</summary>
    public Tensor silu() => From(Lib.tk_tensor_silu(Handle));
    /// <summary>log(sigmoid(x)), computed stably.</summary>
    public Tensor logsigmoid() => From(Lib.tk_tensor_logsigmoid(Handle));
    /// <summary>Clamps to [min, max]; a null bound is not applied.</summary>
    public Tensor clamp(double? min = null, double? max = null) =>
        From(Lib.tk_tensor_clamp(Handle, min ?? 0, min.HasValue ? 1 : 0, max ?? 0, max.HasValue ? 1 : 0));

    /// <summary>Sum of all elements (a 0-dim tensor).</summary>
    public Tensor sum() => From(Lib.tk_tensor_sum(Handle));
    /// <summary>Sum over <paramref name="dims"/>.</summary>
    public Tensor sum(ReadOnlySpan<long> dims, bool keepdim = false) => From(Lib.tk_tensor_sum_dims(Handle, dims, dims.Length, keepdim ? 1 : 0));
    /// <summary>Sum over one dim.</summary>
    public Tensor sum(long dim, bool keepdim = false) => sum([dim], keepdim);
    /// <summary>Mean of all elements.</summary>
    public Tensor mean() => From(Lib.tk_tensor_mean(Handle));
    /// <summary>Mean over <paramref name="dims"/>.</summary>
    public Tensor mean(ReadOnlySpan<long> dims, bool keepdim = false) => From(Lib.tk_tensor_mean_dims(Handle, dims, dims.Length, keepdim ? 1 : 0));
    /// <summary>Mean over one dim.</summary>
    public Tensor mean(long dim, bool keepdim = false) => mean([dim], keepdim);
    /// <summary>Maximum over <paramref name="dim"/> (values only).</summary>
    public Tensor amax(long dim, bool keepdim = false) => From(Lib.tk_tensor_amax(Handle, [dim], 1, keepdim ? 1 : 0));
    /// <summary>Maximum of all elements.</summary>
    public Tensor max() => From(Lib.tk_tensor_max_all(Handle));
    /// <summary>Minimum of all elements.</summary>
    public Tensor min() => From(Lib.tk_tensor_min_all(Handle));

    /// <summary>Maximum along <paramref name="dim"/>: values and their int64 indices.</summary>
    public (Tensor values, Tensor indexes) max(long dim, bool keepdim = false)
    {
        Lib.Check(Lib.tk_tensor_max_dim(Handle, dim, keepdim ? 1 : 0, out var v, out var i));
        return (new Tensor(v), new Tensor(i));
    }

    /// <summary>Minimum along <paramref name="dim"/>: values and their int64 indices.</summary>
    public (Tensor values, Tensor indexes) min(long dim, bool keepdim = false)
    {
        Lib.Check(Lib.tk_tensor_min_dim(Handle, dim, keepdim ? 1 : 0, out var v, out var i));
        return (new Tensor(v), new Tensor(i));
    }

    /// <summary>Index of the maximum along <paramref name="dim"/>.</summary>
    public Tensor argmax(long dim, bool keepdim = false) => From(Lib.tk_tensor_argmax(Handle, dim, keepdim ? 1 : 0));

    /// <summary>The <paramref name="k"/> largest (or smallest) elements along <paramref name="dim"/> and their indices.</summary>
    public (Tensor values, Tensor indexes) topk(long k, long dim = -1, bool largest = true, bool sorted = true)
    {
        Lib.Check(Lib.tk_tensor_topk(Handle, k, dim, largest ? 1 : 0, sorted ? 1 : 0, out var v, out var i));
        return (new Tensor(v), new Tensor(i));
    }

    /// <summary>Running sum along <paramref name="dim"/>.</summary>
    public Tensor cumsum(long dim) => From(Lib.tk_tensor_cumsum(Handle, dim));
    /// <summary>p-norm of all elements.</summary>
    public Tensor norm(double p = 2) => From(Lib.tk_tensor_norm(Handle, p));
    /// <summary>Softmax along <paramref name="dim"/>.</summary>
    public Tensor softmax(long dim) => From(Lib.tk_tensor_softmax(Handle, dim));
    /// <summary>log(softmax) along <paramref name="dim"/>, computed stably.</summary>
    public Tensor log_softmax(long dim) => From(Lib.tk_tensor_log_softmax(Handle, dim));
    /// <summary>log(sum(exp)) along <paramref name="dim"/>.</summary>
    public Tensor logsumexp(long dim, bool keepdim = false) => From(Lib.tk_tensor_logsumexp(Handle, dim, keepdim ? 1 : 0));

    // comparisons: op codes as in tk_math.cpp (0 eq, 1 ne, 2 lt, 3 le, 4 gt, 5 ge); results are Bool tensors.
    Tensor Compare(Tensor o, int op) => From(Lib.tk_tensor_compare(Handle, o.Handle, op));
    Tensor Compare(double o, int op) => From(Lib.tk_tensor_compare_scalar(Handle, o, op));
    /// <summary>Elementwise ==.</summary>
    public Tensor eq(Tensor o) => Compare(o, 0);
    /// <summary>Elementwise == s.</summary>
    public Tensor eq(double s) => Compare(s, 0);
    /// <summary>Elementwise !=.</summary>
    public Tensor ne(Tensor o) => Compare(o, 1);
    /// <summary>Elementwise != s.</summary>
    public Tensor ne(double s) => Compare(s, 1);
    /// <summary>Elementwise &lt;.</summary>
    public Tensor lt(Tensor o) => Compare(o, 2);
    /// <summary>Elementwise &lt; s.</summary>
    public Tensor lt(double s) => Compare(s, 2);
    /// <summary>Elementwise &lt;=.</summary>
    public Tensor le(Tensor o) => Compare(o, 3);
    /// <summary>Elementwise &lt;= s.</summary>
    public Tensor le(double s) => Compare(s, 3);
    /// <summary>Elementwise &gt;.</summary>
    public Tensor gt(Tensor o) => Compare(o, 4);
    /// <summary>Elementwise &gt; s.</summary>
    public Tensor gt(double s) => Compare(s, 4);
    /// <summary>Elementwise &gt;=.</summary>
    public Tensor ge(Tensor o) => Compare(o, 5);
    /// <summary>Elementwise &gt;= s.</summary>
    public Tensor ge(double s) => Compare(s, 5);

    /// <summary>Elementwise logical and.</summary>
    public Tensor logical_and(Tensor o) => From(Lib.tk_tensor_logical_and(Handle, o.Handle));
    /// <summary>Elementwise logical or.</summary>
    public Tensor logical_or(Tensor o) => From(Lib.tk_tensor_logical_or(Handle, o.Handle));
    /// <summary>Elementwise logical not.</summary>
    public Tensor logical_not() => From(Lib.tk_tensor_logical_not(Handle));

    /// <summary>A copy with <paramref name="value"/> where <paramref name="mask"/> (bool, broadcast) is true.</summary>
    public Tensor masked_fill(Tensor mask, double value) => From(Lib.tk_tensor_masked_fill(Handle, mask.Handle, value));

    /// <summary>True when shapes and all elements are equal.</summary>
    public bool equal(Tensor o) => Lib.Check(Lib.tk_tensor_equal(Handle, o.Handle)) != 0;

    /// <summary>|this - o| &lt;= atol + rtol * |o| everywhere.</summary>
    public bool allclose(Tensor o, double rtol = 1e-5, double atol = 1e-8) => Lib.Check(Lib.tk_tensor_allclose(Handle, o.Handle, rtol, atol)) != 0;
}

using Toolkit.Train.Torch.Native;

#pragma warning disable CS8981 // lower-case type names (torch, nn, optim) are deliberate: the TorchSharp surface

namespace Toolkit.Train.Torch;

/// <summary>
/// The TorchSharp-like entry point: <c>torch.zeros([2, 3])</c>, <c>torch.tensor(data, [2, 3])</c>, <c>torch.matmul(a, b)</c>,
/// <c>torch.NewDisposeScope()</c>, <c>torch.no_grad()</c>, <c>torch.autocast()</c>. With <c>using static
/// Toolkit.Train.Torch.torch;</c> the nested <see cref="nn"/> and <see cref="optim"/> read as in TorchSharp.
/// </summary>
public static partial class torch
{
    /// <summary>Element type aliases, as in TorchSharp.</summary>
    public const ScalarType float32 = ScalarType.Float32, float64 = ScalarType.Float64, bfloat16 = ScalarType.BFloat16,
        float16 = ScalarType.Float16, int64 = ScalarType.Int64, int32 = ScalarType.Int32, int8 = ScalarType.Int8,
        uint8 = ScalarType.Byte, @bool = ScalarType.Bool;

    // ---- creation from managed memory (copies) ----

    /// <summary>A 1-D tensor holding a copy of <paramref name="data"/>.</summary>
    public static Tensor tensor<T>(T[] data) where T : unmanaged => tensor(new ReadOnlySpan<T>(data), [data.LongLength]);

    /// <summary>A tensor holding a copy of <paramref name="data"/> in <paramref name="shape"/>.</summary>
    public static Tensor tensor<T>(T[] data, ReadOnlySpan<long> shape) where T : unmanaged => tensor(new ReadOnlySpan<T>(data), shape);

    /// <summary>A tensor holding a copy of <paramref name="data"/> in <paramref name="shape"/>; element type from <typeparamref name="T"/>.</summary>
    public static unsafe Tensor tensor<T>(ReadOnlySpan<T> data, ReadOnlySpan<long> shape) where T : unmanaged
    {
        var type = ScalarTypes.Of<T>();
        fixed (T* p = data)
            return Tensor.From(Lib.tk_tensor_from_data(p, (long)data.Length * sizeof(T), shape, shape.Length, (int)type));
    }

    /// <summary>A 0-dim tensor holding <paramref name="value"/> as <paramref name="dtype"/>.</summary>
    public static Tensor scalar_tensor(double value, ScalarType dtype = ScalarType.Float32) =>
        Tensor.From(Lib.tk_tensor_full([], 0, value, (int)dtype, 0));

    // ---- factories ----

    /// <summary>All zeros.</summary>
    public static Tensor zeros(ReadOnlySpan<long> shape, ScalarType dtype = ScalarType.Float32, bool requires_grad = false) =>
        Tensor.From(Lib.tk_tensor_zeros(shape, shape.Length, (int)dtype, requires_grad ? 1 : 0));
    /// <summary>All ones.</summary>
    public static Tensor ones(ReadOnlySpan<long> shape, ScalarType dtype = ScalarType.Float32, bool requires_grad = false) =>
        Tensor.From(Lib.tk_tensor_ones(shape, shape.Length, (int)dtype, requires_grad ? 1 : 0));
    /// <summary>Uninitialized memory.</summary>
    public static Tensor empty(ReadOnlySpan<long> shape, ScalarType dtype = ScalarType.Float32, bool requires_grad = false) =>
        Tensor.From(Lib.tk_tensor_empty(shape, shape.Length, (int)dtype, requires_grad ? 1 : 0));
    /// <summary>All <paramref name="value"/>.</summary>
    public static Tensor full(ReadOnlySpan<long> shape, double value, ScalarType dtype = ScalarType.Float32, bool requires_grad = false) =>
        Tensor.From(Lib.tk_tensor_full(shape, shape.Length, value, (int)dtype, requires_grad ? 1 : 0));
    /// <summary>Standard normal samples (seeded by <see cref="manual_seed"/>).</summary>
    public static Tensor randn(ReadOnlySpan<long> shape, ScalarType dtype = ScalarType.Float32, bool requires_grad = false) =>
        Tensor.From(Lib.tk_tensor_randn(shape, shape.Length, (int)dtype, requires_grad ? 1 : 0));
    /// <summary>Uniform samples in [0, 1).</summary>
    public static Tensor rand(ReadOnlySpan<long> shape, ScalarType dtype = ScalarType.Float32, bool requires_grad = false) =>
        Tensor.From(Lib.tk_tensor_rand(shape, shape.Length, (int)dtype, requires_grad ? 1 : 0));
    /// <summary>Uniform integers in [low, high).</summary>
    public static Tensor randint(long low, long high, ReadOnlySpan<long> shape, ScalarType dtype = ScalarType.Int64) =>
        Tensor.From(Lib.tk_tensor_randint(low, high, shape, shape.Length, (int)dtype));
    /// <summary>start, start + step, ... below end.</summary>
    public static Tensor arange(double start, double end, double step = 1, ScalarType dtype = ScalarType.Int64) =>
        Tensor.From(Lib.tk_tensor_arange(start, end, step, (int)dtype));
    /// <summary>0, 1, ..., end - 1.</summary>
    public static Tensor arange(long end, ScalarType dtype = ScalarType.Int64) => arange(0, end, 1, dtype);
    /// <summary>n x n identity.</summary>
    public static Tensor eye(long n, ScalarType dtype = ScalarType.Float32) => Tensor.From(Lib.tk_tensor_eye(n, (int)dtype));
    /// <summary>Zeros with <paramref name="t"/>'s shape and type.</summary>
    public static Tensor zeros_like(Tensor t) => Tensor.From(Lib.tk_tensor_zeros_like(t.Handle));
    /// <summary>Ones with <paramref name="t"/>'s shape and type.</summary>
    public static Tensor ones_like(Tensor t) => Tensor.From(Lib.tk_tensor_ones_like(t.Handle));
    /// <summary><paramref name="value"/> with <paramref name="t"/>'s shape and type.</summary>
    public static Tensor full_like(Tensor t, double value) => Tensor.From(Lib.tk_tensor_full_like(t.Handle, value));

    // ---- functions over several tensors ----

    /// <summary>Concatenates along an existing dim.</summary>
    public static Tensor cat(ReadOnlySpan<Tensor> tensors, long dim = 0)
    {
        using var h = new HandleList(tensors);
        return Tensor.From(Lib.tk_tensor_cat(h.Raw, h.Raw.Length, dim));
    }

    /// <summary>Stacks along a new dim.</summary>
    public static Tensor stack(ReadOnlySpan<Tensor> tensors, long dim = 0)
    {
        using var h = new HandleList(tensors);
        return Tensor.From(Lib.tk_tensor_stack(h.Raw, h.Raw.Length, dim));
    }

    /// <summary>a @ b.</summary>
    public static Tensor matmul(Tensor a, Tensor b) => a.matmul(b);
    /// <summary>Batched a @ b.</summary>
    public static Tensor bmm(Tensor a, Tensor b) => a.bmm(b);
    /// <summary>Outer product.</summary>
    public static Tensor outer(Tensor a, Tensor b) => a.outer(b);
    /// <summary>Elements of <paramref name="a"/> where <paramref name="condition"/>, else of <paramref name="b"/>.</summary>
    public static Tensor where(Tensor condition, Tensor a, Tensor b) => Tensor.From(Lib.tk_tensor_where(condition.Handle, a.Handle, b.Handle));
    /// <summary>Elementwise exp.</summary>
    public static Tensor exp(Tensor t) => t.exp();
    /// <summary>Elementwise log.</summary>
    public static Tensor log(Tensor t) => t.log();
    /// <summary>Elementwise cos.</summary>
    public static Tensor cos(Tensor t) => t.cos();
    /// <summary>Elementwise sin.</summary>
    public static Tensor sin(Tensor t) => t.sin();
    /// <summary>Upper triangle.</summary>
    public static Tensor triu(Tensor t, long diagonal = 0) => t.triu(diagonal);
    /// <summary>Lower triangle.</summary>
    public static Tensor tril(Tensor t, long diagonal = 0) => t.tril(diagonal);

    // ---- process-wide settings ----

    /// <summary>Seeds libtorch's CPU generator (randn, rand, randint, dropout).</summary>
    public static void manual_seed(long seed) => Lib.Check(Lib.tk_manual_seed(seed));

    /// <summary>libtorch's intra-op thread count (set at load to the core count, or TOOLKIT_THREADS).</summary>
    public static int get_num_threads() => Lib.Check(Lib.tk_get_num_threads());

    /// <summary>Sets libtorch's intra-op thread count.</summary>
    public static void set_num_threads(int n) => Lib.Check(Lib.tk_set_num_threads(n));

    /// <summary>Native tensor handles alive (created by the shim and not yet freed), whoever created them.</summary>
    public static long native_live_tensors() => Lib.tk_tensor_live_count();

    /// <summary>Starts a <see cref="DisposeScope"/> that becomes current on this thread.</summary>
    public static DisposeScope NewDisposeScope() => new();
}

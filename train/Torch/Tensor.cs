using System.Runtime.InteropServices;
using Toolkit.Train.Torch.Native;

namespace Toolkit.Train.Torch;

/// <summary>
/// A libtorch tensor (CPU). The surface follows TorchSharp: <c>t.add(u)</c>, <c>t.matmul(u)</c>, operators, <c>t.shape</c>.
/// <para><b>Lifetime contract</b> (who owns what):</para>
/// <list type="number">
/// <item>Every function and operator returns a <i>fresh</i> <see cref="Tensor"/> that the caller owns, even when it is a
/// view sharing storage with its input (storage lives as long as any tensor using it). Functions never dispose their
/// inputs; <c>_</c>-suffixed methods modify their receiver in place and return nothing new.</item>
/// <item>A tensor created while a <see cref="DisposeScope"/> is current on the thread belongs to that scope and is
/// disposed when the scope ends, unless moved out first (<see cref="MoveToOuterScope"/>, <see cref="DetachFromDisposeScope"/>).
/// A training step or a decode step runs inside one scope, so its intermediates are freed deterministically.</item>
/// <item>Outside any scope the caller disposes (<c>using var t = ...</c>). Disposing twice is harmless; using a disposed
/// tensor throws <see cref="ObjectDisposedException"/>.</item>
/// <item>The GC finalizer of the native handle frees a forgotten tensor as a last resort only: it runs late, so memory
/// can balloon first. Training and generation loops must not depend on it; tests check <see cref="LiveCount"/>.</item>
/// <item>Objects that keep tensors (an optimizer, the autograd graph, a saved gradient) hold their own libtorch
/// references: disposing the C# tensor releases the handle, not the data they still use.</item>
/// </list>
/// </summary>
public sealed partial class Tensor : IDisposable
{
    internal readonly TensorHandle Handle;

    /// <summary>The dispose scope that owns this tensor, or null.</summary>
    internal DisposeScope? Scope;

    /// <summary>Wraps a fresh native handle (already checked non-null) and registers it with the current scope.</summary>
    internal Tensor(nint handle)
    {
        Handle = new TensorHandle(handle);
        DisposeScope.Current?.Add(this);
    }

    /// <summary>Wraps the result of a native call returning <c>tk_tensor_t</c>, throwing the native error on NULL.</summary>
    internal static Tensor From(nint handle) => new(Lib.Check(handle));

    /// <summary>Managed tensor handles alive in this process (created and not yet disposed or finalized).</summary>
    public static long LiveCount => TensorHandle.Live;

    /// <summary>True once disposed.</summary>
    public bool IsDisposed => Handle.IsClosed;

    /// <summary>Frees the native tensor now (and leaves its dispose scope).</summary>
    public void Dispose()
    {
        Scope?.Remove(this);
        Scope = null;
        Handle.Dispose();
    }

    /// <summary>Moves this tensor from its scope to the enclosing one (or out of all scopes); returns this.</summary>
    public Tensor MoveToOuterScope() => Scope?.MoveToOuter(this) ?? this;

    /// <summary>Takes this tensor out of its dispose scope: the caller now disposes it; returns this.</summary>
    public Tensor DetachFromDisposeScope() => Scope?.Detach(this) ?? this;

    // ---- queries ----

    /// <summary>Element type.</summary>
    public ScalarType dtype => (ScalarType)Lib.Check(Lib.tk_tensor_dtype(Handle));

    /// <summary>Number of dimensions.</summary>
    public long ndim => Lib.Check(Lib.tk_tensor_ndim(Handle));

    /// <summary>Number of elements.</summary>
    public long numel() => Lib.Check(Lib.tk_tensor_numel(Handle));

    /// <summary>Sizes of every dimension.</summary>
    public long[] shape
    {
        get
        {
            Span<long> buf = stackalloc long[64];
            var n = Lib.Check(Lib.tk_tensor_shape(Handle, buf, buf.Length));
            return buf[..(int)n].ToArray();
        }
    }

    /// <summary>Size of dimension <paramref name="dim"/> (negative counts from the end).</summary>
    public long size(long dim) => Lib.Check(Lib.tk_tensor_size(Handle, dim));

    /// <summary>True when elements are laid out densely in row-major order.</summary>
    public bool is_contiguous() => Lib.Check(Lib.tk_tensor_is_contiguous(Handle)) != 0;

    // ---- casts and copies ----

    /// <summary>A copy with elements cast to <paramref name="type"/> (this tensor itself when already of that type, as a new handle).</summary>
    public Tensor to(ScalarType type) => From(Lib.tk_tensor_to(Handle, (int)type));

    /// <summary>Copies the elements (in row-major order) into a new array; <typeparamref name="T"/> must match <see cref="dtype"/>.</summary>
    public T[] ToArray<T>() where T : unmanaged
    {
        var want = ScalarTypes.Of<T>();
        var have = dtype;
        if (want != have)
            throw new InvalidOperationException($"ToArray<{typeof(T).Name}> on a {have} tensor; cast first with .to(ScalarType.{want})");
        var result = new T[numel()];
        CopyTo<T>(result);
        return result;
    }

    /// <summary>Copies the elements into <paramref name="destination"/>, whose length must equal <see cref="numel"/>.</summary>
    public unsafe void CopyTo<T>(Span<T> destination) where T : unmanaged
    {
        fixed (T* p = destination)
            Lib.Check(Lib.tk_tensor_copy_to(Handle, p, (long)destination.Length * sizeof(T)));
    }

    /// <summary>Overwrites this contiguous tensor's elements from <paramref name="source"/> (same byte length).</summary>
    public unsafe void CopyFrom<T>(ReadOnlySpan<T> source) where T : unmanaged
    {
        fixed (T* p = source)
            Lib.Check(Lib.tk_tensor_copy_from(Handle, p, (long)source.Length * sizeof(T)));
    }

    /// <summary>In place: copies <paramref name="src"/> (broadcast and cast) into this tensor.</summary>
    public void copy_(Tensor src) => Lib.Check(Lib.tk_tensor_copy_(Handle, src.Handle));

    /// <summary>The value of a one-element tensor as <typeparamref name="T"/> (float, double, long, int or bool).</summary>
    public T item<T>() where T : unmanaged
    {
        if (typeof(T) == typeof(long) || typeof(T) == typeof(int) || typeof(T) == typeof(bool))
        {
            Lib.Check(Lib.tk_tensor_item_int64(Handle, out var l));
            if (typeof(T) == typeof(long)) return (T)(object)l;
            if (typeof(T) == typeof(int)) return (T)(object)checked((int)l);
            return (T)(object)(l != 0);
        }
        Lib.Check(Lib.tk_tensor_item_double(Handle, out var d));
        if (typeof(T) == typeof(double)) return (T)(object)d;
        if (typeof(T) == typeof(float)) return (T)(object)(float)d;
        throw new NotSupportedException($"item<{typeof(T).Name}>: use double, float, long, int or bool");
    }

    /// <summary>libtorch's rendering of the values (for debugging).</summary>
    public string str()
    {
        var p = Lib.Check(Lib.tk_tensor_to_string(Handle));
        try { return Marshal.PtrToStringUTF8(p) ?? ""; }
        finally { Lib.tk_string_free(p); }
    }

    /// <summary>Shape and type, e.g. <c>Tensor[2, 3] Float32</c>; "Tensor(disposed)" after Dispose.</summary>
    public override string ToString() => IsDisposed ? "Tensor(disposed)" : $"Tensor[{string.Join(", ", shape)}] {dtype}";

    // ---- autograd ----

    /// <summary>Whether autograd records operations on this tensor; setting it makes a leaf require gradients.</summary>
    public bool requires_grad
    {
        get => Lib.Check(Lib.tk_autograd_requires_grad(Handle)) != 0;
        set => Lib.Check(Lib.tk_autograd_set_requires_grad(Handle, value ? 1 : 0));
    }

    /// <summary>Sets <see cref="requires_grad"/> and returns this tensor (no new handle).</summary>
    public Tensor requires_grad_(bool value = true)
    {
        requires_grad = value;
        return this;
    }

    /// <summary>True for tensors created by the user rather than by a recorded operation.</summary>
    public bool is_leaf => Lib.Check(Lib.tk_autograd_is_leaf(Handle)) != 0;

    /// <summary>The accumulated gradient as a new handle, or null when none has been computed.</summary>
    public Tensor? grad
    {
        get
        {
            Lib.Check(Lib.tk_autograd_grad(Handle, out var g));
            return g == 0 ? null : new Tensor(g);
        }
    }

    /// <summary>Back-propagates from this tensor (a scalar unless <paramref name="gradient"/> is given).</summary>
    public void backward(Tensor? gradient = null, bool retain_graph = false, bool create_graph = false) =>
        Lib.Check(Lib.tk_autograd_backward(Handle, gradient?.Handle ?? TensorHandle.None, retain_graph ? 1 : 0, create_graph ? 1 : 0));

    /// <summary>Drops (<paramref name="set_to_none"/>) or zeroes the accumulated gradient.</summary>
    public void zero_grad(bool set_to_none = true) => Lib.Check(Lib.tk_autograd_zero_grad(Handle, set_to_none ? 1 : 0));

    /// <summary>The same data cut from the autograd graph.</summary>
    public Tensor detach() => From(Lib.tk_autograd_detach(Handle));
}

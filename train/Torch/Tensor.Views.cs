using Toolkit.Train.Torch.Native;

namespace Toolkit.Train.Torch;

// Shape and indexing ops; most return views sharing storage with this tensor (see the lifetime contract in Tensor.cs).
public sealed partial class Tensor
{
    /// <summary>Same elements in <paramref name="shape"/> (one entry may be -1); a view when possible.</summary>
    public Tensor reshape(params ReadOnlySpan<long> shape) => From(Lib.tk_tensor_reshape(Handle, shape, shape.Length));

    /// <summary>A view with <paramref name="shape"/>; fails when the strides do not allow one (use <see cref="reshape"/>).</summary>
    public Tensor view(params ReadOnlySpan<long> shape) => From(Lib.tk_tensor_view(Handle, shape, shape.Length));

    /// <summary>Swaps two dimensions.</summary>
    public Tensor transpose(long dim0, long dim1) => From(Lib.tk_tensor_transpose(Handle, dim0, dim1));

    /// <summary>Reorders dimensions.</summary>
    public Tensor permute(params ReadOnlySpan<long> dims) => From(Lib.tk_tensor_permute(Handle, dims, dims.Length));

    /// <summary>Elements [start, start + length) along <paramref name="dim"/>.</summary>
    public Tensor narrow(long dim, long start, long length) => From(Lib.tk_tensor_narrow(Handle, dim, start, length));

    /// <summary>Python's <c>t[..., start:end:step, ...]</c> on <paramref name="dim"/> (end is clamped; use long.MaxValue for "to the end").</summary>
    public Tensor slice(long dim, long start, long end, long step = 1) => From(Lib.tk_tensor_slice(Handle, dim, start, end, step));

    /// <summary>The slice at <paramref name="index"/> of <paramref name="dim"/>, with that dimension removed.</summary>
    public Tensor select(long dim, long index) => From(Lib.tk_tensor_select(Handle, dim, index));

    /// <summary>Inserts a size-1 dimension at <paramref name="dim"/>.</summary>
    public Tensor unsqueeze(long dim) => From(Lib.tk_tensor_unsqueeze(Handle, dim));

    /// <summary>Removes every size-1 dimension.</summary>
    public Tensor squeeze() => From(Lib.tk_tensor_squeeze(Handle));

    /// <summary>Removes <paramref name="dim"/> if its size is 1.</summary>
    public Tensor squeeze(long dim) => From(Lib.tk_tensor_squeeze_dim(Handle, dim));

    /// <summary>Merges dimensions start_dim..end_dim into one.</summary>
    public Tensor flatten(long start_dim = 0, long end_dim = -1) => From(Lib.tk_tensor_flatten(Handle, start_dim, end_dim));

    /// <summary>Broadcasts size-1 dimensions to <paramref name="shape"/> (-1 keeps a size) without copying.</summary>
    public Tensor expand(params ReadOnlySpan<long> shape) => From(Lib.tk_tensor_expand(Handle, shape, shape.Length));

    /// <summary>A row-major copy, or a new handle to this tensor when already contiguous.</summary>
    public Tensor contiguous() => From(Lib.tk_tensor_contiguous(Handle));

    /// <summary>A copy with its own storage (recorded by autograd).</summary>
    public Tensor clone() => From(Lib.tk_tensor_clone(Handle));

    /// <summary>Rows of <paramref name="dim"/> picked by the int64 <paramref name="index"/> vector.</summary>
    public Tensor index_select(long dim, Tensor index) => From(Lib.tk_tensor_index_select(Handle, dim, index.Handle));

    /// <summary><c>out[i][j] = this[i][index[i][j]]</c> for dim 1 (likewise for other dims); index is int64.</summary>
    public Tensor gather(long dim, Tensor index) => From(Lib.tk_tensor_gather(Handle, dim, index.Handle));

    /// <summary>A copy with <c>out[i][index[i][j]] = src[i][j]</c> for dim 1.</summary>
    public Tensor scatter(long dim, Tensor index, Tensor src) => From(Lib.tk_tensor_scatter(Handle, dim, index.Handle, src.Handle));

    /// <summary>Repeats each element <paramref name="repeats"/> times along <paramref name="dim"/> (grouped-query attention's KV expansion).</summary>
    public Tensor repeat_interleave(long repeats, long dim) => From(Lib.tk_tensor_repeat_interleave(Handle, repeats, dim));

    /// <summary>Tiles the tensor <paramref name="repeats"/> times per dimension.</summary>
    public Tensor repeat(params ReadOnlySpan<long> repeats) => From(Lib.tk_tensor_repeat(Handle, repeats, repeats.Length));

    /// <summary>Upper triangle (elements below the <paramref name="diagonal"/>-th diagonal zeroed).</summary>
    public Tensor triu(long diagonal = 0) => From(Lib.tk_tensor_triu(Handle, diagonal));

    /// <summary>Lower triangle (elements above the <paramref name="diagonal"/>-th diagonal zeroed).</summary>
    public Tensor tril(long diagonal = 0) => From(Lib.tk_tensor_tril(Handle, diagonal));

    /// <summary>Splits into <paramref name="chunks"/> near-equal views along <paramref name="dim"/> (possibly fewer).</summary>
    public Tensor[] chunk(long chunks, long dim = 0)
    {
        var raw = new nint[chunks];
        var n = Lib.Check(Lib.tk_tensor_chunk(Handle, chunks, dim, raw, raw.Length));
        return [.. raw.Take((int)n).Select(h => new Tensor(h))];
    }

    /// <summary>Splits into views of <paramref name="split_size"/> along <paramref name="dim"/> (the last may be smaller).</summary>
    public Tensor[] split(long split_size, long dim = 0)
    {
        var len = size(dim);
        var raw = new nint[(len + split_size - 1) / Math.Max(1, split_size)];
        var n = Lib.Check(Lib.tk_tensor_split(Handle, split_size, dim, raw, raw.Length));
        return [.. raw.Take((int)n).Select(h => new Tensor(h))];
    }
}

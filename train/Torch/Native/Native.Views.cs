using System.Runtime.InteropServices;

namespace Toolkit.Train.Torch.Native;

// tk_views.cpp: shape and indexing ops.
internal static unsafe partial class Lib
{
    [LibraryImport(Name)] internal static partial nint tk_tensor_reshape(TensorHandle t, ReadOnlySpan<long> shape, long ndim);
    [LibraryImport(Name)] internal static partial nint tk_tensor_view(TensorHandle t, ReadOnlySpan<long> shape, long ndim);
    [LibraryImport(Name)] internal static partial nint tk_tensor_transpose(TensorHandle t, long dim0, long dim1);
    [LibraryImport(Name)] internal static partial nint tk_tensor_permute(TensorHandle t, ReadOnlySpan<long> dims, long ndim);
    [LibraryImport(Name)] internal static partial nint tk_tensor_narrow(TensorHandle t, long dim, long start, long length);
    [LibraryImport(Name)] internal static partial nint tk_tensor_slice(TensorHandle t, long dim, long start, long end, long step);
    [LibraryImport(Name)] internal static partial nint tk_tensor_select(TensorHandle t, long dim, long index);
    [LibraryImport(Name)] internal static partial nint tk_tensor_unsqueeze(TensorHandle t, long dim);
    [LibraryImport(Name)] internal static partial nint tk_tensor_squeeze(TensorHandle t);
    [LibraryImport(Name)] internal static partial nint tk_tensor_squeeze_dim(TensorHandle t, long dim);
    [LibraryImport(Name)] internal static partial nint tk_tensor_flatten(TensorHandle t, long start_dim, long end_dim);
    [LibraryImport(Name)] internal static partial nint tk_tensor_expand(TensorHandle t, ReadOnlySpan<long> shape, long ndim);
    [LibraryImport(Name)] internal static partial nint tk_tensor_contiguous(TensorHandle t);
    [LibraryImport(Name)] internal static partial nint tk_tensor_clone(TensorHandle t);
    [LibraryImport(Name)] internal static partial nint tk_tensor_index_select(TensorHandle t, long dim, TensorHandle index);
    [LibraryImport(Name)] internal static partial nint tk_tensor_gather(TensorHandle t, long dim, TensorHandle index);
    [LibraryImport(Name)] internal static partial nint tk_tensor_scatter(TensorHandle t, long dim, TensorHandle index, TensorHandle src);
    [LibraryImport(Name)] internal static partial nint tk_tensor_repeat_interleave(TensorHandle t, long repeats, long dim);
    [LibraryImport(Name)] internal static partial nint tk_tensor_repeat(TensorHandle t, ReadOnlySpan<long> repeats, long n);
    [LibraryImport(Name)] internal static partial nint tk_tensor_cat(ReadOnlySpan<nint> /* const tk_tensor_t* */ ts, long n, long dim);
    [LibraryImport(Name)] internal static partial nint tk_tensor_stack(ReadOnlySpan<nint> /* const tk_tensor_t* */ ts, long n, long dim);
    [LibraryImport(Name)] internal static partial nint tk_tensor_triu(TensorHandle t, long diagonal);
    [LibraryImport(Name)] internal static partial nint tk_tensor_tril(TensorHandle t, long diagonal);
    [LibraryImport(Name)] internal static partial long tk_tensor_chunk(TensorHandle t, long chunks, long dim, Span<nint> /* tk_tensor_t* */ output, long cap);
    [LibraryImport(Name)] internal static partial long tk_tensor_split(TensorHandle t, long split_size, long dim, Span<nint> /* tk_tensor_t* */ output, long cap);
}

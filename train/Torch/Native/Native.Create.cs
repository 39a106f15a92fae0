using System.Runtime.InteropServices;

namespace Toolkit.Train.Torch.Native;

// tk_create.cpp: creation, queries, casts, copies, item.
internal static unsafe partial class Lib
{
    [LibraryImport(Name)] internal static partial nint tk_tensor_from_data(void* /* const void* */ data, long nbytes, ReadOnlySpan<long> shape, long ndim, int dtype);
    [LibraryImport(Name)] internal static partial nint tk_tensor_zeros(ReadOnlySpan<long> shape, long ndim, int dtype, int requires_grad);
    [LibraryImport(Name)] internal static partial nint tk_tensor_ones(ReadOnlySpan<long> shape, long ndim, int dtype, int requires_grad);
    [LibraryImport(Name)] internal static partial nint tk_tensor_empty(ReadOnlySpan<long> shape, long ndim, int dtype, int requires_grad);
    [LibraryImport(Name)] internal static partial nint tk_tensor_full(ReadOnlySpan<long> shape, long ndim, double value, int dtype, int requires_grad);
    [LibraryImport(Name)] internal static partial nint tk_tensor_randn(ReadOnlySpan<long> shape, long ndim, int dtype, int requires_grad);
    [LibraryImport(Name)] internal static partial nint tk_tensor_rand(ReadOnlySpan<long> shape, long ndim, int dtype, int requires_grad);
    [LibraryImport(Name)] internal static partial nint tk_tensor_randint(long low, long high, ReadOnlySpan<long> shape, long ndim, int dtype);
    [LibraryImport(Name)] internal static partial nint tk_tensor_arange(double start, double end, double step, int dtype);
    [LibraryImport(Name)] internal static partial nint tk_tensor_eye(long n, int dtype);
    [LibraryImport(Name)] internal static partial nint tk_tensor_zeros_like(TensorHandle t);
    [LibraryImport(Name)] internal static partial nint tk_tensor_ones_like(TensorHandle t);
    [LibraryImport(Name)] internal static partial nint tk_tensor_full_like(TensorHandle t, double value);
    [LibraryImport(Name)] internal static partial nint tk_tensor_alias(TensorHandle t);

    [LibraryImport(Name)] internal static partial int tk_tensor_dtype(TensorHandle t);
    [LibraryImport(Name)] internal static partial long tk_tensor_ndim(TensorHandle t);
    [LibraryImport(Name)] internal static partial long tk_tensor_numel(TensorHandle t);
    [LibraryImport(Name)] internal static partial long tk_tensor_element_size(TensorHandle t);
    [LibraryImport(Name)] internal static partial long tk_tensor_shape(TensorHandle t, Span<long> output, long cap);
    [LibraryImport(Name)] internal static partial long tk_tensor_size(TensorHandle t, long dim);
    [LibraryImport(Name)] internal static partial int tk_tensor_is_contiguous(TensorHandle t);

    [LibraryImport(Name)] internal static partial nint tk_tensor_to(TensorHandle t, int dtype);
    [LibraryImport(Name)] internal static partial int tk_tensor_copy_to(TensorHandle t, void* /* void* */ dst, long nbytes);
    [LibraryImport(Name)] internal static partial int tk_tensor_copy_from(TensorHandle t, void* /* const void* */ src, long nbytes);
    [LibraryImport(Name)] internal static partial int tk_tensor_copy_(TensorHandle dst, TensorHandle src);
    [LibraryImport(Name)] internal static partial int tk_tensor_item_double(TensorHandle t, out double value);
    [LibraryImport(Name)] internal static partial int tk_tensor_item_int64(TensorHandle t, out long value);
    [LibraryImport(Name)] internal static partial nint /* char* */ tk_tensor_to_string(TensorHandle t);
}

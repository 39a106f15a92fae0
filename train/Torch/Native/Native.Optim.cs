using System.Runtime.InteropServices;

namespace Toolkit.Train.Torch.Native;

// tk_optim.cpp: AdamW and gradient clipping; tk_io.cpp: named tensor files.
internal static unsafe partial class Lib
{
    [LibraryImport(Name)] internal static partial nint /* tk_optim_adamw_t */ tk_optim_adamw_new(ReadOnlySpan<nint> /* const tk_tensor_t* */ parameters, long n, double lr, double beta1, double beta2, double eps, double weight_decay, int amsgrad);
    [LibraryImport(Name)] internal static partial void tk_optim_adamw_free(nint /* tk_optim_adamw_t */ o);
    [LibraryImport(Name)] internal static partial int tk_optim_adamw_step(AdamWHandle o);
    [LibraryImport(Name)] internal static partial int tk_optim_adamw_zero_grad(AdamWHandle o, int set_to_none);
    [LibraryImport(Name)] internal static partial int tk_optim_adamw_set_lr(AdamWHandle o, double lr);
    [LibraryImport(Name)] internal static partial int tk_optim_adamw_get_lr(AdamWHandle o, out double lr);
    [LibraryImport(Name, StringMarshalling = StringMarshalling.Utf8)] internal static partial int tk_optim_adamw_save(AdamWHandle o, string path);
    [LibraryImport(Name, StringMarshalling = StringMarshalling.Utf8)] internal static partial int tk_optim_adamw_load(AdamWHandle o, string path);
    [LibraryImport(Name)] internal static partial int tk_optim_clip_grad_norm(ReadOnlySpan<nint> /* const tk_tensor_t* */ parameters, long n, double max_norm, out double total_norm);

    [LibraryImport(Name, StringMarshalling = StringMarshalling.Utf8)] internal static partial int tk_io_save(string path, ReadOnlySpan<nint> /* const char* const* */ names, ReadOnlySpan<nint> /* const tk_tensor_t* */ ts, long n);
    [LibraryImport(Name, StringMarshalling = StringMarshalling.Utf8)] internal static partial nint /* tk_named_list_t */ tk_io_load(string path);
    [LibraryImport(Name)] internal static partial long tk_io_list_size(nint /* tk_named_list_t */ l);
    [LibraryImport(Name)] internal static partial nint /* const char* (borrowed) */ tk_io_list_name(nint /* tk_named_list_t */ l, long i);
    [LibraryImport(Name)] internal static partial nint tk_io_list_tensor(nint /* tk_named_list_t */ l, long i);
    [LibraryImport(Name)] internal static partial void tk_io_list_free(nint /* tk_named_list_t */ l);
}

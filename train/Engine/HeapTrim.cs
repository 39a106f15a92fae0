using System.Runtime.InteropServices;

namespace Toolkit.Train.Engine;

/// <summary>
/// Returns the C heap's free pages to the OS (glibc <c>malloc_trim(0)</c>, which since glibc 2.8 releases free pages
/// anywhere in every arena, not only at the top). libtorch's CPU allocator is plain malloc: tensors under glibc's mmap
/// threshold (which grows to 32 MiB as large blocks are freed) come from the heap, and the activations a forward frees
/// stay resident as free heap the backward's gradients rarely fit into exactly. Measured on the 125M DPO step with
/// gradient checkpointing (benchmarks/DpoStepBench.cs): 0.4–0.75 GB of free-but-resident heap at the forward/backward
/// boundary; trimming there lowered the step's peak RSS by ~150 MB. A fixed low mmap threshold would release
/// every block on free, but made the tiny preset's step ~3.7× slower (a page fault per touched page per allocation).
/// Cost of a trim: the walk over free chunks, and page faults when the released pages are used again.
/// No-op where libc has no <c>malloc_trim</c> (musl).
/// </summary>
public static partial class HeapTrim
{
    static bool _missing;

    /// <summary>Releases the heap's free pages; returns whether any memory was released.</summary>
    public static bool Now()
    {
        if (_missing) return false;
        try { return MallocTrim(0) != 0; }
        catch (EntryPointNotFoundException) { _missing = true; return false; }
        catch (DllNotFoundException) { _missing = true; return false; }
    }

    [LibraryImport("libc", EntryPoint = "malloc_trim")]
    private static partial int MallocTrim(nuint pad);
}

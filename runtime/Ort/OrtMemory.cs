namespace Toolkit.Runtime.Ort;

/// <summary>
/// The two process-wide CPU memory objects the binding needs, created once and never released:
/// <see cref="CpuInfo"/> (<c>OrtMemoryInfo*</c> for CPU, arena, default memory type) describes managed buffers handed
/// to ORT and names the device for <c>BindOutputToDevice</c>; <see cref="DefaultAllocator"/> (<c>OrtAllocator*</c>) is
/// ORT's default CPU allocator, used for tensors ORT owns and to free the strings and arrays ORT returns.
/// </summary>
internal static unsafe class OrtMemory
{
    /// <summary>const OrtMemoryInfo* for CPU memory (OrtArenaAllocator = 1, OrtMemTypeDefault = 0).</summary>
    internal static readonly nint CpuInfo;

    /// <summary>OrtAllocator* with default options; owned by ORT, never released.</summary>
    internal static readonly nint DefaultAllocator;

    static OrtMemory()
    {
        nint info, allocator;
        OrtStatus.Check(OrtApi.CreateCpuMemoryInfo(1 /* OrtArenaAllocator */, 0 /* OrtMemTypeDefault */, &info));
        OrtStatus.Check(OrtApi.GetAllocatorWithDefaultOptions(&allocator));
        CpuInfo = info;
        DefaultAllocator = allocator;
    }

    /// <summary>Frees memory ORT allocated with <see cref="DefaultAllocator"/> (names, output arrays).</summary>
    internal static void Free(void* p)
    {
        if (p != null) OrtStatus.Check(OrtApi.AllocatorFree(DefaultAllocator, p));
    }
}

namespace Toolkit.Runtime.Ort;

/// <summary>GraphOptimizationLevel of onnxruntime_c_api.h.</summary>
public enum GraphOptimizationLevel
{
    /// <summary>ORT_DISABLE_ALL: run the graph as written.</summary>
    DisableAll = 0,
    /// <summary>ORT_ENABLE_BASIC: constant folding, redundant node removal.</summary>
    Basic = 1,
    /// <summary>ORT_ENABLE_EXTENDED: plus fusions (attention, layer norm, GELU, MatMulNBits from DQ+MatMul...).</summary>
    Extended = 2,
    /// <summary>ORT_ENABLE_LAYOUT: plus layout optimizations.</summary>
    Layout = 3,
    /// <summary>ORT_ENABLE_ALL: everything (the ORT default).</summary>
    All = 99,
}

/// <summary>ExecutionMode of onnxruntime_c_api.h.</summary>
public enum ExecutionMode
{
    /// <summary>ORT_SEQUENTIAL: one node at a time (parallelism only inside ops, via intra-op threads).</summary>
    Sequential = 0,
    /// <summary>ORT_PARALLEL: independent nodes run concurrently on the inter-op pool.</summary>
    Parallel = 1,
}

/// <summary>
/// An owned <c>OrtSessionOptions*</c>. Set what you need, create sessions from it, dispose it (a session copies
/// what it needs at creation, so the options may be disposed right after).
/// </summary>
public sealed unsafe class OrtSessionOptions : OrtHandle
{
    /// <summary>Fresh options with ORT's defaults (all optimizations, intra-op threads = cores, arena and memory pattern on).</summary>
    public OrtSessionOptions() : base(Create()) { }

    static nint Create()
    {
        nint options; // OrtSessionOptions*
        OrtStatus.Check(OrtApi.CreateSessionOptions(&options));
        return options;
    }

    /// <summary>Threads inside one op (GEMM, attention). 0 = ORT's default (one per physical core).</summary>
    public OrtSessionOptions SetIntraOpThreads(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(threads);
        OrtStatus.Check(OrtApi.SetIntraOpNumThreads(Live, threads));
        return this;
    }

    /// <summary>Threads running independent nodes with <see cref="ExecutionMode.Parallel"/>. 0 = ORT's default.</summary>
    public OrtSessionOptions SetInterOpThreads(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(threads);
        OrtStatus.Check(OrtApi.SetInterOpNumThreads(Live, threads));
        return this;
    }

    /// <summary>How much ORT rewrites the graph at load.</summary>
    public OrtSessionOptions SetGraphOptimizationLevel(GraphOptimizationLevel level)
    {
        OrtStatus.Check(OrtApi.SetSessionGraphOptimizationLevel(Live, (int)level));
        return this;
    }

    /// <summary>Sequential (default) or parallel node execution.</summary>
    public OrtSessionOptions SetExecutionMode(ExecutionMode mode)
    {
        OrtStatus.Check(OrtApi.SetSessionExecutionMode(Live, (int)mode));
        return this;
    }

    /// <summary>
    /// Memory pattern: ORT plans one block for a run's intermediates when shapes repeat. Helps fixed shapes; with
    /// shapes that change each run (a growing KV cache) it only costs re-planning, so generation turns it off.
    /// </summary>
    public OrtSessionOptions SetMemoryPattern(bool enabled)
    {
        OrtStatus.Check(enabled ? OrtApi.EnableMemPattern(Live) : OrtApi.DisableMemPattern(Live));
        return this;
    }

    /// <summary>The CPU arena allocator: faster allocation, but memory it takes is kept for reuse rather than returned.</summary>
    public OrtSessionOptions SetCpuMemArena(bool enabled)
    {
        OrtStatus.Check(enabled ? OrtApi.EnableCpuMemArena(Live) : OrtApi.DisableCpuMemArena(Live));
        return this;
    }

    /// <summary>
    /// A session config entry (onnxruntime_session_options_config_keys.h), e.g. "session.intra_op.allow_spinning" = "0",
    /// "session.model_external_initializers_file_folder_path" for a model from bytes with external data.
    /// </summary>
    public OrtSessionOptions AddConfigEntry(string key, string value)
    {
        fixed (byte* k = Utf8.Encode(key))
        fixed (byte* v = Utf8.Encode(value))
            OrtStatus.Check(OrtApi.AddSessionConfigEntry(Live, k, v));
        return this;
    }

    /// <inheritdoc/>
    protected override bool ReleaseHandle()
    {
        OrtApi.ReleaseSessionOptions(handle);
        return true;
    }
}

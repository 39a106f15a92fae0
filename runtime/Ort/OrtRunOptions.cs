namespace Toolkit.Runtime.Ort;

/// <summary>
/// An owned <c>OrtRunOptions*</c>: per-run settings, optional for every Run. <see cref="Terminate"/> asks a run in
/// progress on another thread to stop (it fails with an <see cref="OrtException"/>); <see cref="ResetTerminate"/>
/// makes the options usable again.
/// </summary>
public sealed unsafe class OrtRunOptions : OrtHandle
{
    /// <summary>Fresh run options.</summary>
    public OrtRunOptions() : base(Create()) { }

    static nint Create()
    {
        nint options; // OrtRunOptions*
        OrtStatus.Check(OrtApi.CreateRunOptions(&options));
        return options;
    }

    /// <summary>A run config entry (onnxruntime_run_options_config_keys.h), e.g. "memory.enable_memory_arena_shrinkage" = "cpu:0".</summary>
    public OrtRunOptions AddConfigEntry(string key, string value)
    {
        fixed (byte* k = Utf8.Encode(key))
        fixed (byte* v = Utf8.Encode(value))
            OrtStatus.Check(OrtApi.AddRunConfigEntry(Live, k, v));
        return this;
    }

    /// <summary>Asks every run using these options to stop as soon as it can.</summary>
    public void Terminate() => OrtStatus.Check(OrtApi.RunOptionsSetTerminate(Live));

    /// <summary>Clears a <see cref="Terminate"/> request.</summary>
    public void ResetTerminate() => OrtStatus.Check(OrtApi.RunOptionsUnsetTerminate(Live));

    /// <inheritdoc/>
    protected override bool ReleaseHandle()
    {
        OrtApi.ReleaseRunOptions(handle);
        return true;
    }
}

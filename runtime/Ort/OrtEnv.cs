namespace Toolkit.Runtime.Ort;

/// <summary>
/// The one <c>OrtEnv</c> of the process (logging, global state), created at first use with logging at WARNING and
/// never released: sessions refer to it for their whole life, and ORT wants one per process.
/// </summary>
public sealed unsafe class OrtEnv : OrtHandle
{
    static readonly Lazy<OrtEnv> _instance = new(Create, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The process-wide environment.</summary>
    public static OrtEnv Instance => _instance.Value;

    OrtEnv(nint handle) : base(handle) { }

    static OrtEnv Create()
    {
        nint env; // OrtEnv*
        fixed (byte* logid = Utf8.Encode("toolkit"))
            OrtStatus.Check(OrtApi.CreateEnv(2 /* ORT_LOGGING_LEVEL_WARNING */, logid, &env));
        return new OrtEnv(env);
    }

    /// <inheritdoc/>
    protected override bool ReleaseHandle()
    {
        OrtApi.ReleaseEnv(handle);
        return true;
    }
}

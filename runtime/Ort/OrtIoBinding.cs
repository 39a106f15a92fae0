namespace Toolkit.Runtime.Ort;

/// <summary>
/// An owned <c>OrtIoBinding*</c>: inputs and outputs bound to a session once and run many times without passing
/// names or values again. The generation engine binds the KV cache here so that decoding copies nothing it need not.
/// <para>Ownership: binding a value takes a reference on it (the binding keeps it, and for borrowed managed memory
/// its pin, alive until the name is rebound, the bindings are cleared, or the binding is disposed); the caller still
/// disposes its own values. Values from <see cref="GetOutputValues"/> are new handles owned by the caller; an output
/// bound with <see cref="BindOutput"/> comes back as a new handle over the same bytes, and keeps the bound value alive.</para>
/// <para>Not thread-safe: bind and run from one thread at a time.</para>
/// </summary>
public sealed unsafe class OrtIoBinding : OrtHandle
{
    readonly OrtSession _session;
    readonly Dictionary<string, OrtValue> _inputs = [];
    readonly List<(string Name, OrtValue? Value)> _outputs = [];   // bind order = order of GetBoundOutputValues

    internal OrtIoBinding(OrtSession session) : base(Create(session))
    {
        var ok = false;
        session.DangerousAddRef(ref ok);   // the binding refers to the session; keep it alive
        _session = session;
    }

    static nint Create(OrtSession session)
    {
        nint binding; // OrtIoBinding*
        using var s = new HandleRef(session);
        OrtStatus.Check(OrtApi.CreateIoBinding(s.Pointer, &binding));
        return binding;
    }

    /// <summary>Binds <paramref name="value"/> to the input <paramref name="name"/> (replacing an earlier binding of that name).</summary>
    public void BindInput(string name, OrtValue value)
    {
        using var v = new HandleRef(value);
        fixed (byte* n = Utf8.Encode(name))
            OrtStatus.Check(OrtApi.BindInput(Live, n, v.Pointer));
        Keep(value);
        if (_inputs.Remove(name, out var old)) old.DangerousRelease();
        _inputs[name] = value;
    }

    /// <summary>Binds the output <paramref name="name"/> to a pre-allocated <paramref name="value"/>, which ORT writes in place each run.</summary>
    public void BindOutput(string name, OrtValue value)
    {
        using var v = new HandleRef(value);
        fixed (byte* n = Utf8.Encode(name))
            OrtStatus.Check(OrtApi.BindOutput(Live, n, v.Pointer));
        Keep(value);
        SetOutput(name, value);
    }

    /// <summary>
    /// Binds the output <paramref name="name"/> to CPU memory ORT allocates at each run (for outputs whose shape is not
    /// known in advance). ORT itself would keep the first run's buffer bound and fail when the shape changes (or
    /// overwrite values handed out earlier); <see cref="Run"/> therefore re-binds these outputs before every run.
    /// </summary>
    public void BindOutputToCpu(string name)
    {
        BindToCpu(name);
        SetOutput(name, null);
    }

    void BindToCpu(string name)
    {
        fixed (byte* n = Utf8.Encode(name))
            OrtStatus.Check(OrtApi.BindOutputToDevice(Live, n, OrtMemory.CpuInfo));
    }

    /// <summary>Runs the session with the bound inputs and outputs (outputs bound to CPU get fresh buffers).</summary>
    public void Run(OrtRunOptions? runOptions = null)
    {
        foreach (var (name, value) in _outputs)
            if (value is null) BindToCpu(name);   // same name: replaced in place, order kept
        using var s = new HandleRef(_session);
        using var ro = new HandleRef(runOptions);
        OrtStatus.Check(OrtApi.RunWithBinding(s.Pointer, ro.Pointer, Live));
    }

    /// <summary>
    /// The outputs of the last run, in bind order: new handles owned by the caller. Outputs bound to a value share its
    /// bytes; outputs bound with <see cref="BindOutputToCpu"/> hold what ORT allocated.
    /// </summary>
    public OrtValue[] GetOutputValues()
    {
        nint* array = null; // OrtValue**, allocated with the default allocator
        nuint count;
        OrtStatus.Check(OrtApi.GetBoundOutputValues(Live, OrtMemory.DefaultAllocator, &array, &count));
        try
        {
            var values = new OrtValue[(int)count];
            for (var i = 0; i < (int)count; i++)
                values[i] = i < _outputs.Count && _outputs[i].Value is { } bound
                    ? new OrtValue(array[i], sharesWith: bound)
                    : new OrtValue(array[i]);
            return values;
        }
        finally
        {
            OrtMemory.Free(array);
        }
    }

    /// <summary>The names of the bound outputs, in bind order.</summary>
    public IReadOnlyList<string> OutputNames => _outputs.Select(o => o.Name).ToArray();

    /// <summary>Unbinds every input (and drops the references the binding held).</summary>
    public void ClearInputs()
    {
        OrtApi.ClearBoundInputs(Live);
        foreach (var v in _inputs.Values) v.DangerousRelease();
        _inputs.Clear();
    }

    /// <summary>Unbinds every output.</summary>
    public void ClearOutputs()
    {
        OrtApi.ClearBoundOutputs(Live);
        foreach (var (_, v) in _outputs) v?.DangerousRelease();
        _outputs.Clear();
    }

    static void Keep(OrtValue value)
    {
        var ok = false;
        value.DangerousAddRef(ref ok);
    }

    void SetOutput(string name, OrtValue? value)
    {
        // ORT replaces a rebound name in place and appends a new one; mirror that so indices match GetBoundOutputValues.
        var i = _outputs.FindIndex(o => o.Name == name);
        if (i < 0) { _outputs.Add((name, value)); return; }
        _outputs[i].Value?.DangerousRelease();
        _outputs[i] = (name, value);
    }

    /// <inheritdoc/>
    protected override bool ReleaseHandle()
    {
        OrtApi.ReleaseIoBinding(handle);
        foreach (var v in _inputs.Values) v.DangerousRelease();
        foreach (var (_, v) in _outputs) v?.DangerousRelease();
        _session.DangerousRelease();
        return true;
    }
}

using System.Runtime.InteropServices;

namespace Toolkit.Runtime.Ort;

/// <summary>
/// An owned <c>OrtSession*</c>: a loaded model, its declared inputs and outputs, and Run. A session may be run from
/// several threads at once (ORT's Run is thread-safe); the values passed in stay owned by the caller, the values
/// returned are new and owned by the caller (dispose them).
/// </summary>
public sealed unsafe class OrtSession : OrtHandle
{
    /// <summary>The model inputs in declaration order (name, element type, dims with -1 for symbolic ones).</summary>
    public IReadOnlyList<OrtNodeInfo> Inputs { get; }

    /// <summary>The model outputs in declaration order.</summary>
    public IReadOnlyList<OrtNodeInfo> Outputs { get; }

    /// <summary>Where the model came from (a full path, or a description of the bytes), for messages.</summary>
    public string Source { get; }

    readonly string[] _outputNames;

    OrtSession(nint handle, string source) : base(handle)
    {
        Source = source;
        Inputs = ReadNodes(handle, input: true);
        Outputs = ReadNodes(handle, input: false);
        _outputNames = Outputs.Select(o => o.Name).ToArray();
    }

    /// <summary>
    /// Loads the ONNX model at <paramref name="path"/> (external data files are looked up beside it). A missing,
    /// unreadable or invalid file throws an <see cref="OrtException"/> naming the file, with ORT's message and a HINT.
    /// </summary>
    public static OrtSession Load(string path, OrtSessionOptions? options = null)
    {
        var full = Path.GetFullPath(path);
        var defaults = options is null ? new OrtSessionOptions() : null;
        try
        {
            nint session; // OrtSession*
            using var env = new HandleRef(OrtEnv.Instance);
            using var opts = new HandleRef(options ?? defaults);
            fixed (byte* p = Utf8.Encode(full))
                OrtStatus.Check(OrtApi.CreateSession(env.Pointer, p, opts.Pointer, &session));
            return new OrtSession(session, full);
        }
        catch (OrtException e)
        {
            throw ModelLoadErrors.ForFile(full, e);
        }
        finally
        {
            defaults?.Dispose();
        }
    }

    /// <summary>
    /// A session from model bytes in memory (ORT parses them during the call; the bytes are not kept).
    /// <paramref name="description"/> names the bytes in messages. A model with external data needs the
    /// "session.model_external_initializers_file_folder_path" config entry.
    /// </summary>
    public static OrtSession FromBytes(ReadOnlySpan<byte> model, OrtSessionOptions? options = null, string description = "model bytes")
    {
        var source = $"{description} ({model.Length} bytes)";
        var defaults = options is null ? new OrtSessionOptions() : null;
        try
        {
            nint session; // OrtSession*
            using var env = new HandleRef(OrtEnv.Instance);
            using var opts = new HandleRef(options ?? defaults);
            fixed (byte* data = model)
                OrtStatus.Check(OrtApi.CreateSessionFromArray(env.Pointer, data, (nuint)model.Length, opts.Pointer, &session));
            return new OrtSession(session, source);
        }
        catch (OrtException e)
        {
            throw ModelLoadErrors.ForBytes(source, e);
        }
        finally
        {
            defaults?.Dispose();
        }
    }

    /// <summary>
    /// Runs the model: <paramref name="inputs"/>[i] feeds <paramref name="inputNames"/>[i]; returns one new value per
    /// name in <paramref name="outputNames"/>, allocated by ORT and owned by the caller.
    /// </summary>
    public OrtValue[] Run(ReadOnlySpan<string> inputNames, ReadOnlySpan<OrtValue> inputs, ReadOnlySpan<string> outputNames,
        OrtRunOptions? runOptions = null)
    {
        var outputs = new OrtValue?[outputNames.Length];
        Run(inputNames, inputs, outputNames, outputs, runOptions);
        return outputs!;
    }

    /// <summary>Runs the model with every declared output, returned in <see cref="Outputs"/> order.</summary>
    public OrtValue[] Run(IReadOnlyDictionary<string, OrtValue> inputs, OrtRunOptions? runOptions = null) =>
        Run(inputs.Keys.ToArray(), inputs.Values.ToArray(), _outputNames, runOptions);

    /// <summary>
    /// Runs the model into <paramref name="outputs"/>: a non-null entry is a pre-allocated buffer ORT writes in place
    /// (its shape must match what the model produces; e.g. a KV cache bound as both past input and present output);
    /// a null entry receives a new value owned by the caller.
    /// </summary>
    public void Run(ReadOnlySpan<string> inputNames, ReadOnlySpan<OrtValue> inputs, ReadOnlySpan<string> outputNames,
        Span<OrtValue?> outputs, OrtRunOptions? runOptions = null)
    {
        if (inputNames.Length != inputs.Length)
            throw new ArgumentException($"{inputNames.Length} input names but {inputs.Length} input values; pass one value per name");
        if (outputNames.Length != outputs.Length)
            throw new ArgumentException($"{outputNames.Length} output names but room for {outputs.Length} outputs; pass one slot per name");

        using var inNames = new Utf8Names(inputNames);
        using var outNames = new Utf8Names(outputNames);
        Span<nint> inPtrs = inputs.Length <= 64 ? stackalloc nint[inputs.Length] : new nint[inputs.Length];     // const OrtValue* const*
        Span<nint> outPtrs = outputs.Length <= 64 ? stackalloc nint[outputs.Length] : new nint[outputs.Length]; // OrtValue**
        using var self = new HandleRef(this);
        using var ro = new HandleRef(runOptions);
        HandleRefs.Add(inputs, inPtrs);
        try
        {
            HandleRefs.Add(outputs, outPtrs);
            try
            {
                fixed (nint* ip = inPtrs)
                fixed (nint* op = outPtrs)
                    OrtStatus.Check(OrtApi.Run(self.Pointer, ro.Pointer, inNames.Pointers, ip, (nuint)inputs.Length,
                        outNames.Pointers, (nuint)outputs.Length, op));
            }
            finally
            {
                HandleRefs.Release(outputs);
            }
        }
        finally
        {
            HandleRefs.Release(inputs);
        }
        for (var i = 0; i < outputs.Length; i++)
            outputs[i] ??= new OrtValue(outPtrs[i]);
    }

    /// <summary>A new IO binding on this session (see <see cref="OrtIoBinding"/>).</summary>
    public OrtIoBinding CreateIoBinding() => new(this);

    static OrtNodeInfo[] ReadNodes(nint session /* OrtSession* */, bool input)
    {
        nuint count;
        OrtStatus.Check(input ? OrtApi.SessionGetInputCount(session, &count) : OrtApi.SessionGetOutputCount(session, &count));
        var nodes = new OrtNodeInfo[(int)count];
        for (nuint i = 0; i < count; i++)
        {
            byte* name = null; // char*, allocated with the default allocator
            OrtStatus.Check(input
                ? OrtApi.SessionGetInputName(session, i, OrtMemory.DefaultAllocator, &name)
                : OrtApi.SessionGetOutputName(session, i, OrtMemory.DefaultAllocator, &name));
            string nameStr;
            try { nameStr = Marshal.PtrToStringUTF8((nint)name)!; }
            finally { OrtMemory.Free(name); }

            nint typeInfo; // OrtTypeInfo*
            OrtStatus.Check(input
                ? OrtApi.SessionGetInputTypeInfo(session, i, &typeInfo)
                : OrtApi.SessionGetOutputTypeInfo(session, i, &typeInfo));
            try
            {
                nint tensorInfo; // const OrtTensorTypeAndShapeInfo*, borrowed from typeInfo; null for non-tensors
                OrtStatus.Check(OrtApi.CastTypeInfoToTensorInfo(typeInfo, &tensorInfo));
                nodes[(int)i] = tensorInfo == 0
                    ? new OrtNodeInfo(nameStr, OrtElementType.Undefined, [], [])
                    : ToNode(nameStr, OrtTensorInfo.Read(tensorInfo, symbolic: true));
            }
            finally
            {
                OrtApi.ReleaseTypeInfo(typeInfo);
            }
        }
        return nodes;
    }

    static OrtNodeInfo ToNode(string name, (OrtElementType Type, long[] Dims, string[] Symbolic) t) =>
        new(name, t.Type, t.Dims, t.Symbolic);

    /// <inheritdoc/>
    protected override bool ReleaseHandle()
    {
        OrtApi.ReleaseSession(handle);
        return true;
    }
}

using System.Runtime.InteropServices;
using Google.Protobuf;
using DataType = Toolkit.Core.Onnx.TensorProto.Types.DataType;

namespace Toolkit.Core.Onnx;

/// <summary>
/// Builds an ONNX graph that reads like the model it describes: each op is a method returning its output
/// (<c>var q = g.MatMul(x, g.Initializer("q_proj", w, 256, 256))</c>; the typed ops are in OnnxGraph.Ops.cs).
/// Initializer bytes are wrapped, not copied; <see cref="OnnxModelWriter"/> decides at save time which go inline and
/// which to external data. Node and value names are made unique under the current <see cref="Scope"/> prefix
/// (e.g. <c>/model/layers.3/attn/MatMul_12</c>), so a profile or a viewer shows where each node came from.
/// </summary>
public sealed partial class OnnxGraph
{
    readonly GraphProto graph;
    readonly Dictionary<string, int> opsetVersions = new(StringComparer.Ordinal) { [""] = DefaultOpset };
    readonly HashSet<string> names = new(StringComparer.Ordinal);
    readonly Dictionary<string, OnnxValue> constants = new(StringComparer.Ordinal);
    int counter;

    /// <summary>Default-domain opset the graph imports (17: the newest Debian's python3-onnx 1.12 checks).</summary>
    public const int DefaultOpset = 17;
    /// <summary>The ONNX Runtime contrib-op domain.</summary>
    public const string MicrosoftDomain = "com.microsoft";

    /// <summary>Prefix of generated node and value names; set it around each block (<c>/model/layers.0/attn</c>).</summary>
    public string Scope { get; set; } = "";

    public OnnxGraph(string name) => graph = new GraphProto { Name = name };

    /// <summary>Ops of each domain used so far.</summary>
    public IEnumerable<(string Domain, string OpType)> OpTypes => graph.Node.Select(n => (n.Domain, n.OpType)).Distinct();

    /// <summary>A graph input; a dim is a <c>long</c> (fixed) or a <c>string</c> (symbolic, e.g. "batch_size").</summary>
    public OnnxValue Input(string name, DataType type, params object[] dims)
    {
        Claim(name);
        graph.Input.Add(ValueInfo(name, type, dims));
        return new OnnxValue(name);
    }

    /// <summary>Declares <paramref name="value"/> a graph output under <paramref name="name"/> (an Identity is added when the names differ).</summary>
    public OnnxValue Output(OnnxValue value, string name, DataType type, params object[] dims)
    {
        if (value.Name != name) value = Node("Identity", [value], [name])[0];
        graph.Output.Add(ValueInfo(name, type, dims));
        return value;
    }

    /// <summary>An initializer over <paramref name="raw"/> (little-endian, row-major), wrapped without copying: do not change the bytes afterwards.</summary>
    public OnnxValue Initializer(string name, DataType type, ReadOnlyMemory<byte> raw, params long[] dims)
    {
        var count = dims.Aggregate(1L, (a, d) => checked(a * d));
        if (raw.Length != count * OnnxDataTypes.SizeOf(type))
            throw new ArgumentException($"initializer '{name}': {raw.Length} bytes for shape [{string.Join(", ", dims)}] of {type}; expected {count * OnnxDataTypes.SizeOf(type)}");
        Claim(name);
        var t = new TensorProto { Name = name, DataType = (int)type, RawData = UnsafeByteOperations.UnsafeWrap(raw) };
        t.Dims.AddRange(dims);
        graph.Initializer.Add(t);
        return new OnnxValue(name);
    }

    /// <summary>An initializer holding a copy of <paramref name="values"/> (pass bytes to the other overload to avoid the copy).</summary>
    public OnnxValue Initializer<T>(string name, T[] values, params long[] dims) where T : unmanaged =>
        Initializer(name, OnnxDataTypes.Of<T>(), MemoryOf(values), dims);

    /// <summary>A small constant, shared when the same values are asked for again (shapes, axes, scalars).</summary>
    public OnnxValue Const<T>(T[] values, params long[] dims) where T : unmanaged
    {
        var key = $"{typeof(T).Name}[{string.Join(",", dims)}]:{string.Join(",", values)}";
        if (constants.TryGetValue(key, out var v)) return v;
        var name = Unique("const");
        names.Remove(name);   // Initializer claims it
        return constants[key] = Initializer(name, values.ToArray(), dims);
    }

    /// <summary>A 1-D int64 constant (shapes, axes, starts and ends).</summary>
    public OnnxValue Ints(params long[] values) => Const(values, values.Length);

    /// <summary>A scalar constant of <typeparamref name="T"/>.</summary>
    public OnnxValue Scalar<T>(T value) where T : unmanaged => Const([value]);

    /// <summary>
    /// Adds a node of <paramref name="opType"/> in <paramref name="domain"/> (which is imported at <paramref name="opset"/>)
    /// with one new output per entry of <paramref name="outputs"/> (null = generated name, "" = omitted optional output).
    /// </summary>
    public OnnxValue[] Node(string opType, OnnxValue[] inputs, string?[] outputs, AttributeProto[]? attributes = null, string domain = "", int opset = 1)
    {
        if (domain != "" && !opsetVersions.ContainsKey(domain)) opsetVersions[domain] = opset;
        var nodeName = Unique(opType);
        var n = new NodeProto { OpType = opType, Name = nodeName, Domain = domain };
        n.Input.AddRange(inputs.Select(i => i.Name));
        var outs = outputs.Select((o, k) => o switch
        {
            null => Unique($"{opType}_{k}_out"),
            "" => "",
            _ => ClaimReturn(o),
        }).ToArray();
        n.Output.AddRange(outs);
        if (attributes is not null) n.Attribute.AddRange(attributes);
        graph.Node.Add(n);
        return outs.Select(o => new OnnxValue(o)).ToArray();
    }

    /// <summary>A one-output node (the common case).</summary>
    public OnnxValue Op(string opType, OnnxValue[] inputs, params AttributeProto[] attributes) =>
        Node(opType, inputs, [null], attributes)[0];

    /// <summary>A one-output node of the ONNX Runtime contrib domain (<see cref="MicrosoftDomain"/>).</summary>
    public OnnxValue MsOp(string opType, OnnxValue[] inputs, params AttributeProto[] attributes) =>
        Node(opType, inputs, [null], attributes, MicrosoftDomain)[0];

    /// <summary>The model: ir_version 8 (ONNX 1.12's newest reader-safe version with opset 17), the opsets used, this graph.</summary>
    public ModelProto ToModel(string producer = "toolkit", IReadOnlyDictionary<string, string>? metadata = null)
    {
        var m = new ModelProto { IrVersion = 8, ProducerName = producer, ProducerVersion = "1", Graph = graph.Clone() };
        foreach (var (domain, version) in opsetVersions.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            m.OpsetImport.Add(new OperatorSetIdProto { Domain = domain, Version = version });
        if (metadata is not null)
            foreach (var (k, v) in metadata) m.MetadataProps.Add(new StringStringEntryProto { Key = k, Value = v });
        return m;
    }

    string Unique(string stem)
    {
        var baseName = Scope.Length == 0 ? stem : $"{Scope}/{stem}";
        string name;
        do name = $"{baseName}_{counter++}"; while (names.Contains(name));
        names.Add(name);
        return name;
    }

    void Claim(string name)
    {
        if (!names.Add(name)) throw new ArgumentException($"graph '{graph.Name}' already has a value named '{name}'; names must be unique");
    }

    string ClaimReturn(string name)
    {
        Claim(name);
        return name;
    }

    static ReadOnlyMemory<byte> MemoryOf<T>(T[] values) where T : unmanaged =>
        values is byte[] b ? b : MemoryMarshal.AsBytes(values.AsSpan()).ToArray();

    /// <summary>A tensor value-info; dims are <c>long</c> or symbolic <c>string</c>.</summary>
    public static ValueInfoProto ValueInfo(string name, DataType type, object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
            shape.Dim.Add(d switch
            {
                string s => new TensorShapeProto.Types.Dimension { DimParam = s },
                long or int => new TensorShapeProto.Types.Dimension { DimValue = Convert.ToInt64(d) },
                _ => throw new ArgumentException($"dim {d} of '{name}' must be a long or a symbolic name"),
            });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }
}

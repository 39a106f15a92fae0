using System.Globalization;
using Google.Protobuf;

namespace Toolkit.Core.Onnx;

/// <summary>
/// Loads an ONNX model written by any tool, resolving external data: each initializer whose data_location is EXTERNAL
/// gets its bytes (from location / offset / length, relative to the model's folder) loaded into raw_data, so the result
/// is self-contained and can be saved elsewhere with <see cref="OnnxModelWriter"/>. Typed fields (float_data, ...) are
/// left as they are; <see cref="RawBytes"/> reads either form.
/// </summary>
public static class OnnxModelReader
{
    /// <summary>Parses <paramref name="path"/> and, when <paramref name="loadExternalData"/>, reads its external data.</summary>
    public static ModelProto Load(string path, bool loadExternalData = true)
    {
        var full = Path.GetFullPath(path);
        if (!File.Exists(full))
            throw new OnnxException(full, $"ONNX model '{full}' does not exist. HINT: check the path; an exported folder holds model.onnx");
        ModelProto model;
        try
        {
            using var stream = File.OpenRead(full);
            model = ModelProto.Parser.ParseFrom(stream);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new OnnxException(full, $"ONNX model '{full}' is not a valid ONNX protobuf ({e.Message}). HINT: the file is truncated or not an ONNX model; export it again", e);
        }
        if (model.Graph is null)
            throw new OnnxException(full, $"ONNX model '{full}' has no graph. HINT: the file is not an ONNX model; export it again");
        if (loadExternalData)
        {
            var dir = Path.GetDirectoryName(full)!;
            foreach (var t in model.Graph.Initializer.Where(t => t.DataLocation == TensorProto.Types.DataLocation.External))
            {
                t.RawData = UnsafeByteOperations.UnsafeWrap(ReadExternal(full, dir, t));
                t.ExternalData.Clear();
                t.DataLocation = TensorProto.Types.DataLocation.Default;
            }
        }
        return model;
    }

    /// <summary>The bytes of an external tensor <paramref name="t"/> of model <paramref name="modelPath"/> whose folder is <paramref name="dir"/>.</summary>
    static byte[] ReadExternal(string modelPath, string dir, TensorProto t)
    {
        OnnxException Bad(string problem, string hint) =>
            new(modelPath, $"ONNX model '{modelPath}', initializer '{t.Name}': {problem}. HINT: {hint}");
        var fields = t.ExternalData.ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);
        if (!fields.TryGetValue("location", out var location) || location.Length == 0)
            throw Bad("external data without a 'location'", "the model is corrupt; export it again");
        if (Path.IsPathRooted(location) || location.Split('/', '\\').Contains(".."))
            throw Bad($"external data location '{location}' points outside the model's folder", "external data must lie in the model's folder; export it again");
        var file = Path.Combine(dir, location);
        if (!File.Exists(file))
            throw Bad($"external data file '{file}' does not exist", $"copy '{location}' beside the model (it travels with model files)");
        long Field(string key, long fallback)
        {
            if (!fields.TryGetValue(key, out var s)) return fallback;
            if (!long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var v))
                throw Bad($"external data '{key}' is '{s}', not a non-negative integer", "the model is corrupt; export it again");
            return v;
        }
        var fileLength = new FileInfo(file).Length;
        var offset = Field("offset", 0);
        var length = Field("length", fileLength - offset);
        if (offset + length > fileLength)
            throw Bad($"external data [{offset}, {offset + length}) runs past the end of '{file}' ({fileLength} bytes)", "the data file is truncated; copy or export it again");
        if (length > Array.MaxLength)
            throw Bad($"external tensor of {length} bytes is larger than one managed array", "load this model in ONNX Runtime directly");
        var bytes = new byte[length];
        using var stream = File.OpenRead(file);
        stream.Position = offset;
        stream.ReadExactly(bytes);
        return bytes;
    }

    /// <summary>The little-endian bytes of an initializer held inline in raw_data or in a typed field.</summary>
    public static byte[] RawBytes(TensorProto t)
    {
        if (t.DataLocation == TensorProto.Types.DataLocation.External)
            throw new ArgumentException($"initializer '{t.Name}' is external; load the model with loadExternalData: true");
        if (!t.RawData.IsEmpty) return t.RawData.ToByteArray();
        if (t.FloatData.Count > 0) return System.Runtime.InteropServices.MemoryMarshal.AsBytes(t.FloatData.ToArray().AsSpan()).ToArray();
        if (t.Int64Data.Count > 0) return System.Runtime.InteropServices.MemoryMarshal.AsBytes(t.Int64Data.ToArray().AsSpan()).ToArray();
        if (t.DoubleData.Count > 0) return System.Runtime.InteropServices.MemoryMarshal.AsBytes(t.DoubleData.ToArray().AsSpan()).ToArray();
        if (t.Int32Data.Count > 0)
        {
            // int32_data also carries narrower types (one element per int32)
            var type = (TensorProto.Types.DataType)t.DataType;
            var ints = t.Int32Data.ToArray();
            return type switch
            {
                TensorProto.Types.DataType.Int32 => System.Runtime.InteropServices.MemoryMarshal.AsBytes(ints.AsSpan()).ToArray(),
                TensorProto.Types.DataType.Float16 or TensorProto.Types.DataType.Bfloat16 or TensorProto.Types.DataType.Int16 or TensorProto.Types.DataType.Uint16 =>
                    ints.SelectMany(i => BitConverter.GetBytes((ushort)i)).ToArray(),
                _ => ints.Select(i => (byte)i).ToArray(),
            };
        }
        return [];
    }
}

using Google.Protobuf;
using Toolkit.Core.Checkpoints;

namespace Toolkit.Core.Onnx;

/// <summary>Where initializer bytes go when a model is saved.</summary>
public enum ExternalData
{
    /// <summary>External when the initializers together exceed <see cref="OnnxSaveOptions.AutoThresholdBytes"/> (protobuf cannot hold 2 GB).</summary>
    Auto,
    /// <summary>Always in a data file beside the model (tensors of at least <see cref="OnnxSaveOptions.MinExternalTensorBytes"/>).</summary>
    Always,
    /// <summary>Always inline; a model over 2 GB then cannot be written.</summary>
    Never,
}

/// <summary>How <see cref="OnnxModelWriter.Save"/> lays out a model on disk.</summary>
public sealed record OnnxSaveOptions
{
    /// <summary>Inline or external initializers (default <see cref="ExternalData.Auto"/>).</summary>
    public ExternalData ExternalData { get; init; } = ExternalData.Auto;
    /// <summary>Total initializer bytes above which <see cref="ExternalData.Auto"/> goes external (default 1 GiB, well under protobuf's 2 GB).</summary>
    public long AutoThresholdBytes { get; init; } = 1L << 30;
    /// <summary>Tensors smaller than this stay inline even in external mode (default 1024, as onnx's save_model).</summary>
    public long MinExternalTensorBytes { get; init; } = 1024;
    /// <summary>Offsets in the data file are multiples of this (default 4096, a page, so ORT may map tensors directly).</summary>
    public int Alignment { get; init; } = 4096;
}

/// <summary>
/// Saves a <see cref="ModelProto"/> whose initializers hold their bytes in raw_data (as <see cref="OnnxGraph"/> and
/// <see cref="OnnxModelReader"/> produce them). With external data, raw bytes of big tensors go to
/// <c>&lt;model file name&gt;.data</c> (e.g. <c>model.onnx.data</c>) and the tensor records location / offset / length
/// instead (ONNX external-data spec). Both files are written to temporaries first and renamed into place, data first.
/// The model passed in is not modified.
/// </summary>
public static class OnnxModelWriter
{
    /// <summary>Writes <paramref name="model"/> to <paramref name="path"/>; returns the file names written (model, then data if any).</summary>
    public static IReadOnlyList<string> Save(ModelProto model, string path, OnnxSaveOptions? options = null)
    {
        options ??= new OnnxSaveOptions();
        var full = Path.GetFullPath(path);
        var dataName = Path.GetFileName(full) + ".data";
        var dataPath = Path.Combine(Path.GetDirectoryName(full)!, dataName);
        var initializers = model.Graph?.Initializer ?? [];
        long total = initializers.Sum(t => (long)t.RawData.Length);
        var external = options.ExternalData switch
        {
            ExternalData.Always => true,
            ExternalData.Never => false,
            _ => total > options.AutoThresholdBytes,
        };

        var copy = model.Clone();   // shallow over ByteStrings (immutable), so cheap
        if (!external)
        {
            if (total >= int.MaxValue)
                throw new OnnxException(full, $"{full}: initializers hold {total} bytes, over protobuf's 2 GB limit for one file. HINT: save with ExternalData.Auto or Always");
            if (File.Exists(dataPath)) File.Delete(dataPath);   // a stale data file would mislead readers
            WriteModel(copy, full);
            return [Path.GetFileName(full)];
        }

        var moved = copy.Graph.Initializer.Where(t => t.RawData.Length >= options.MinExternalTensorBytes && t.DataLocation != TensorProto.Types.DataLocation.External).ToList();
        SafetensorsWriter.WriteAtomically(dataPath, stream =>
        {
            foreach (var t in moved)
            {
                var pad = (options.Alignment - stream.Position % options.Alignment) % options.Alignment;
                if (pad > 0) stream.Write(new byte[pad]);
                var offset = stream.Position;
                stream.Write(t.RawData.Span);
                t.ExternalData.Clear();
                t.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = dataName });
                t.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset.ToString(System.Globalization.CultureInfo.InvariantCulture) });
                t.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = t.RawData.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) });
                t.DataLocation = TensorProto.Types.DataLocation.External;
                t.RawData = ByteString.Empty;
            }
        });
        WriteModel(copy, full);
        return [Path.GetFileName(full), dataName];
    }

    static void WriteModel(ModelProto model, string path)
    {
        long size = model.CalculateSize();
        if (size >= int.MaxValue)
            throw new OnnxException(path, $"{path}: the model serializes to {size} bytes, over protobuf's 2 GB limit. HINT: save with external data");
        SafetensorsWriter.WriteAtomically(path, stream =>
        {
            using var output = new CodedOutputStream(stream, leaveOpen: true);
            model.WriteTo(output);
            output.Flush();
        });
    }
}

using System.Text.Encodings.Web;
using System.Text.Json;

namespace Toolkit.Core.Checkpoints;

/// <summary>
/// Writes safetensors files the way the reference implementation does: header JSON with <c>__metadata__</c> first, then
/// the tensors ordered by element size, largest first, and by name (ordinal) within one size, padded with spaces to a
/// multiple of 8 bytes; then the tensors' bytes back to back in the same order. With the data section 8-byte aligned,
/// that order puts every tensor at an offset aligned to its element size (zero-copy readers may rely on it); for the
/// usual single-dtype checkpoint it is plain name order. The file is written to a temporary file in the destination folder and renamed over the
/// destination, so a reader never sees a half-written file and a crash leaves the old file intact.
/// </summary>
public static class SafetensorsWriter
{
    /// <summary>Writes <paramref name="tensors"/> (any order; names must be unique) and optional string metadata to <paramref name="path"/>.</summary>
    public static void Write(string path, IEnumerable<ITensorData> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var sorted = tensors.OrderByDescending(t => t.DType.ItemSize()).ThenBy(t => t.Name, StringComparer.Ordinal).ToList();
        var header = BuildHeader(path, sorted, metadata);
        WriteAtomically(path, stream =>
        {
            Span<byte> prefix = stackalloc byte[8];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)header.Length);
            stream.Write(prefix);
            stream.Write(header);
            foreach (var t in sorted)
            {
                var before = stream.Position;
                t.WriteTo(stream);
                if (stream.Position - before != t.ByteLength)
                    throw new InvalidOperationException($"tensor '{t.Name}' wrote {stream.Position - before} bytes, it declared {t.ByteLength}");
            }
        });
    }

    /// <summary>The padded header bytes for tensors already in file order; validates names, shapes and byte lengths.</summary>
    internal static byte[] BuildHeader(string path, IReadOnlyList<ITensorData> sorted, IReadOnlyDictionary<string, string>? metadata)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject("__metadata__");
                foreach (var (k, v) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal)) json.WriteString(k, v);
                json.WriteEndObject();
            }
            long offset = 0;
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var t in sorted)
            {
                Check(path, t, seen);
                json.WriteStartObject(t.Name);
                json.WriteString("dtype", t.DType.HeaderName());
                json.WriteStartArray("shape");
                foreach (var d in t.Shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + t.ByteLength);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += t.ByteLength;
            }
            json.WriteEndObject();
        }
        // pad with spaces so the data section starts 8-byte aligned (8 + N is a multiple of 8)
        var padding = (int)((8 - buffer.Length % 8) % 8);
        for (var i = 0; i < padding; i++) buffer.WriteByte((byte)' ');
        return buffer.ToArray();
    }

    static void Check(string path, ITensorData t, HashSet<string> seen)
    {
        if (string.IsNullOrEmpty(t.Name) || t.Name == "__metadata__")
            throw new ArgumentException($"writing '{path}': tensor name '{t.Name}' is not allowed (empty or reserved)");
        if (!seen.Add(t.Name))
            throw new ArgumentException($"writing '{path}': tensor '{t.Name}' is given twice; names must be unique");
        long numel = 1;
        foreach (var d in t.Shape)
        {
            if (d < 0) throw new ArgumentException($"writing '{path}': tensor '{t.Name}' has a negative dimension in shape [{string.Join(", ", t.Shape)}]");
            numel = checked(numel * d);
        }
        var expected = checked(numel * t.DType.ItemSize());
        if (t.ByteLength != expected)
            throw new ArgumentException(
                $"writing '{path}': tensor '{t.Name}' has {t.ByteLength} bytes but {t.DType}[{string.Join(", ", t.Shape)}] needs {expected}");
    }

    /// <summary>
    /// Runs <paramref name="write"/> on a temporary file beside <paramref name="path"/>, flushes it to disk and renames it
    /// over <paramref name="path"/>; the temporary file is deleted if anything fails.
    /// </summary>
    public static void WriteAtomically(string path, Action<FileStream> write)
    {
        var full = System.IO.Path.GetFullPath(path);
        var dir = System.IO.Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        var temp = TempFiles.Beside(full);   // deleted on failure, at exit, or by the next write after a SIGKILL
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            TempFiles.Release(temp);
        }
    }
}

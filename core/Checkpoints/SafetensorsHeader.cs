using System.Text.Json;

namespace Toolkit.Core.Checkpoints;

/// <summary>One tensor's header entry: where its bytes lie in the data section (offsets relative to the section's start).</summary>
public sealed record SafetensorsEntry(string Name, SafetensorsDType DType, long[] Shape, long Begin, long End)
{
    /// <summary>Number of elements (product of <see cref="Shape"/>; 1 for a scalar).</summary>
    public long ElementCount => Shape.Aggregate(1L, (a, d) => a * d);

    /// <summary>Bytes of data (End - Begin = ElementCount * item size; the header check guarantees it).</summary>
    public long ByteLength => End - Begin;
}

/// <summary>
/// The parsed and validated header of a safetensors file. Layout of the file:
/// <code>
/// [u64 little-endian N] [N bytes UTF-8 JSON header, space padded] [data section]
/// header: {"NAME": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ..., "__metadata__": {str: str}}
/// </code>
/// Every check the reference implementation makes is made here, before any tensor byte is touched: the header fits in
/// the file, parses, names are unique, dtypes known, shapes non-negative without overflow, each byte range has exactly
/// numel * itemsize bytes, lies inside the data section, and the ranges cover the data section contiguously.
/// </summary>
public sealed class SafetensorsHeader
{
    /// <summary>Headers above this size are refused as absurd (the reference implementation's limit).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    /// <summary>Entries in header order.</summary>
    public IReadOnlyList<SafetensorsEntry> Entries { get; }

    /// <summary>The <c>__metadata__</c> map (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Byte offset of the data section in the file (8 + header length).</summary>
    public long DataStart { get; }

    SafetensorsHeader(IReadOnlyList<SafetensorsEntry> entries, IReadOnlyDictionary<string, string> metadata, long dataStart)
    {
        Entries = entries;
        Metadata = metadata;
        DataStart = dataStart;
    }

    /// <summary>
    /// Checks the 8-byte length prefix against the file length and returns the header length N.
    /// </summary>
    public static long CheckPrefix(string path, ReadOnlySpan<byte> prefix, long fileLength)
    {
        if (fileLength < 8)
            throw new SafetensorsException(path, null,
                $"the file is {fileLength} bytes, shorter than the 8-byte header-length prefix", SafetensorsException.CorruptHint);
        var n = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (n > MaxHeaderBytes)
            throw new SafetensorsException(path, null,
                $"the header length prefix says {n} bytes, above the {MaxHeaderBytes} byte limit (the prefix is garbage)",
                SafetensorsException.CorruptHint);
        if ((long)n > fileLength - 8)
            throw new SafetensorsException(path, null,
                $"the header length prefix says {n} bytes but only {fileLength - 8} bytes follow it", SafetensorsException.CorruptHint);
        return (long)n;
    }

    /// <summary>
    /// Parses and validates <paramref name="json"/> (the N header bytes) for a file whose data section holds
    /// <paramref name="dataLength"/> bytes. Throws <see cref="SafetensorsException"/> naming the file and tensor.
    /// </summary>
    public static SafetensorsHeader Parse(string path, ReadOnlySpan<byte> json, long dataLength)
    {
        if (!System.Text.Unicode.Utf8.IsValid(json))
            throw new SafetensorsException(path, null, "the header is not valid UTF-8", SafetensorsException.CorruptHint);
        try
        {
            return ParseJson(path, json, dataLength);
        }
        catch (InvalidOperationException e) // a \u escape of an unpaired surrogate cannot be read as a string
        {
            throw new SafetensorsException(path, null, $"a name or string in the header is not valid Unicode ({e.Message})", SafetensorsException.CorruptHint, e);
        }
    }

    static SafetensorsHeader ParseJson(string path, ReadOnlySpan<byte> json, long dataLength)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json.ToArray(), new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException e)
        {
            throw new SafetensorsException(path, null,
                $"the header is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine}: {e.Message})",
                SafetensorsException.CorruptHint, e);
        }
        catch (ArgumentException e) // invalid UTF-8 surfaces here on some paths
        {
            throw new SafetensorsException(path, null, $"the header is not valid UTF-8 JSON ({e.Message})", SafetensorsException.CorruptHint, e);
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new SafetensorsException(path, null, $"the header is a JSON {root.ValueKind}, not an object", SafetensorsException.CorruptHint);

            var seen = new HashSet<string>(StringComparer.Ordinal);
            var entries = new List<SafetensorsEntry>();
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var prop in root.EnumerateObject())
            {
                if (!seen.Add(prop.Name))
                    throw new SafetensorsException(path, prop.Name, "the name appears twice in the header (duplicate tensor names are not allowed)",
                        SafetensorsException.CorruptHint);
                if (prop.Name == "__metadata__")
                    ReadMetadata(path, prop.Value, metadata);
                else
                    entries.Add(ReadEntry(path, prop.Name, prop.Value, dataLength));
            }
            CheckCoverage(path, entries, dataLength);
            return new SafetensorsHeader(entries, metadata, 8 + json.Length);
        }
    }

    static void ReadMetadata(string path, JsonElement value, Dictionary<string, string> metadata)
    {
        if (value.ValueKind == JsonValueKind.Null) return;
        if (value.ValueKind != JsonValueKind.Object)
            throw new SafetensorsException(path, "__metadata__", $"__metadata__ is a JSON {value.ValueKind}, it must be an object of strings",
                SafetensorsException.CorruptHint);
        foreach (var kv in value.EnumerateObject())
        {
            if (kv.Value.ValueKind != JsonValueKind.String)
                throw new SafetensorsException(path, "__metadata__",
                    $"__metadata__ key '{kv.Name}' holds a JSON {kv.Value.ValueKind}; the format allows only string values",
                    "write metadata values as strings");
            metadata[kv.Name] = kv.Value.GetString()!;
        }
    }

    static SafetensorsEntry ReadEntry(string path, string name, JsonElement value, long dataLength)
    {
        SafetensorsException Bad(string problem) => new(path, name, problem, SafetensorsException.CorruptHint);

        if (value.ValueKind != JsonValueKind.Object) throw Bad($"the entry is a JSON {value.ValueKind}, not an object");

        // 1) dtype
        if (!value.TryGetProperty("dtype", out var dt) || dt.ValueKind != JsonValueKind.String)
            throw Bad("the entry has no string field 'dtype'");
        var dtName = dt.GetString()!;
        if (!SafetensorsDTypes.TryParse(dtName, out var dtype))
            throw new SafetensorsException(path, name, $"unknown or unsupported dtype '{dtName}' (supported: {SafetensorsDTypes.SupportedNames})",
                "convert the checkpoint to one of the supported dtypes (for example with torch: tensor.to(torch.bfloat16)) and save it again");

        // 2) shape: non-negative dims whose product (and byte size) fits in a long
        if (!value.TryGetProperty("shape", out var sh) || sh.ValueKind != JsonValueKind.Array)
            throw Bad("the entry has no array field 'shape'");
        var shape = new long[sh.GetArrayLength()];
        long numel = 1;
        var i = 0;
        foreach (var d in sh.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out var dim))
                throw Bad($"shape[{i}] is {d.GetRawText()}, not an integer (or it overflows 64 bits)");
            if (dim < 0) throw Bad($"shape[{i}] is negative ({dim})");
            shape[i++] = dim;
            try { numel = checked(numel * dim); }
            catch (OverflowException) { throw Bad($"the shape [{string.Join(", ", sh.EnumerateArray().Select(x => x.GetRawText()))}] overflows 64-bit element counts"); }
        }
        long bytes;
        try { bytes = checked(numel * dtype.ItemSize()); }
        catch (OverflowException) { throw Bad($"the shape [{string.Join(", ", shape)}] of {dtName} overflows 64-bit byte sizes"); }

        // 3) data_offsets: [begin, end], begin <= end <= data section length, end - begin = numel * itemsize
        if (!value.TryGetProperty("data_offsets", out var off) || off.ValueKind != JsonValueKind.Array || off.GetArrayLength() != 2)
            throw Bad("the entry has no field 'data_offsets' holding exactly two integers [begin, end]");
        var o = off.EnumerateArray().ToArray();
        if (o[0].ValueKind != JsonValueKind.Number || !o[0].TryGetInt64(out var begin) || begin < 0
            || o[1].ValueKind != JsonValueKind.Number || !o[1].TryGetInt64(out var end) || end < 0)
            throw Bad($"data_offsets {off.GetRawText()} are not two non-negative 64-bit integers");
        if (end < begin) throw Bad($"data_offsets [{begin}, {end}] end before they begin");
        if (end > dataLength)
            throw Bad($"data_offsets [{begin}, {end}] reach outside the data section, which holds {dataLength} bytes");
        if (end - begin != bytes)
            throw Bad($"data_offsets [{begin}, {end}] span {end - begin} bytes but shape [{string.Join(", ", shape)}] of {dtName} needs {numel} x {dtype.ItemSize()} = {bytes} bytes");
        return new SafetensorsEntry(name, dtype, shape, begin, end);
    }

    /// <summary>The format requires the byte ranges, sorted, to tile the data section exactly: no gap, no overlap, nothing after.</summary>
    static void CheckCoverage(string path, List<SafetensorsEntry> entries, long dataLength)
    {
        const string hint = "the safetensors format requires the tensors' byte ranges to cover the data section contiguously " +
                            "(no gaps, no overlaps); " + SafetensorsException.CorruptHint;
        var sorted = entries.OrderBy(e => e.Begin).ThenBy(e => e.End).ToList();
        long expected = 0;
        SafetensorsEntry? previous = null;
        foreach (var e in sorted)
        {
            if (e.Begin > expected)
                throw new SafetensorsException(path, e.Name,
                    $"data_offsets [{e.Begin}, {e.End}] leave a gap of {e.Begin - expected} bytes after " +
                    (previous is null ? "the start of the data section" : $"tensor '{previous.Name}' (which ends at {expected})"), hint);
            if (e.Begin < expected)
                throw new SafetensorsException(path, e.Name,
                    $"data_offsets [{e.Begin}, {e.End}] overlap tensor '{previous!.Name}' [{previous.Begin}, {previous.End}]", hint);
            expected = e.End;
            previous = e;
        }
        if (expected != dataLength)
            throw new SafetensorsException(path, previous?.Name,
                $"the data section holds {dataLength} bytes but the tensors cover only the first {expected} " +
                $"({dataLength - expected} trailing bytes belong to no tensor)", hint);
    }
}

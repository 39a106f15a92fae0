using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Unicode;

namespace Toolkit.Train.Data;

/// <summary>
/// Reads a JSONL file line by line as bytes (so invalid UTF-8 is caught per line, never replaced silently), one JSON
/// object per non-blank line. A UTF-8 byte order mark at the start is skipped; "\r\n" line ends are accepted.
/// A line longer than <see cref="RowLimits.MaxRowBytes"/> is skipped without being held in memory and reported.
/// </summary>
internal static class JsonlSource
{
    static readonly UTF8Encoding Lenient = new(false, false);

    public static IEnumerable<RawRow> Read(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        foreach (var physical in BoundedLines.Read(stream))
        {
            var line = physical.Number;
            if (physical.TooLong)
            {
                yield return new RawRow(new RowOrigin(path, line), null, BoundedLines.TooLong(physical.Length));
                continue;
            }
            var span = TrimEnd(physical.Bytes!, line == 1);
            if (span.Length == 0 || IsBlank(span)) continue;
            yield return Parse(new RowOrigin(path, line), span);
        }
    }

    static RawRow Parse(RowOrigin origin, ReadOnlyMemory<byte> bytes)
    {
        if (!Utf8.IsValid(bytes.Span))
        {
            var offset = FirstInvalid(bytes.Span);
            return new RawRow(origin, null, new BadRow(FieldWithReplacement(bytes.Span), DataErrorKind.InvalidUtf8,
                $"the line is not valid UTF-8 (bad byte 0x{bytes.Span[offset]:X2} at byte {offset + 1} of the line)",
                "re-save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8), or fix the line"));
        }
        try
        {
            var node = JsonNode.Parse(bytes.Span, documentOptions: new JsonDocumentOptions { MaxDepth = 128 });
            if (node is JsonObject o)
            {
                _ = o.Count;   // forces the object to materialize, so duplicate keys throw here
                return new RawRow(origin, o, null);
            }
            return new RawRow(origin, null, new BadRow("(line)", DataErrorKind.InvalidJson,
                $"expected a JSON object, found {MessageReader.Describe(node)}", "write one {...} object per line"));
        }
        catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException)
        {
            var where = e is JsonException j && j.BytePositionInLine is { } p ? $" at byte {p + 1}" : "";
            return new RawRow(origin, null, new BadRow("(line)", DataErrorKind.InvalidJson,
                $"not valid JSON{where}: {e.Message.Split(" Path:")[0].Split(" LineNumber:")[0]}",
                "fix the line (one complete JSON object per line; a JSON array file must be converted to JSONL)"));
        }
    }

    /// <summary>The field path of the first string holding an invalid byte (decoded as U+FFFD), or "(line)".</summary>
    static string FieldWithReplacement(ReadOnlySpan<byte> bytes)
    {
        try
        {
            return JsonNode.Parse(Lenient.GetString(bytes)) is JsonObject o ? FindReplacement(o, "") ?? "(line)" : "(line)";
        }
        catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException)
        {
            return "(line)";
        }
    }

    static string? FindReplacement(JsonNode? node, string path) => node switch
    {
        JsonObject o => o.Select(kv => FindReplacement(kv.Value, path.Length == 0 ? kv.Key : $"{path}.{kv.Key}")).FirstOrDefault(f => f != null),
        JsonArray a => a.Select((v, i) => FindReplacement(v, $"{path}[{i}]")).FirstOrDefault(f => f != null),
        JsonValue v when MessageReader.IsString(v, out var s) && s.Contains('\uFFFD') => path,
        _ => null,
    };

    static int FirstInvalid(ReadOnlySpan<byte> bytes)
    {
        for (var i = 0; i < bytes.Length;)
        {
            if (Rune.DecodeFromUtf8(bytes[i..], out _, out var consumed) != OperationStatus.Done) return i;
            i += consumed;
        }
        return 0;
    }

    static ReadOnlyMemory<byte> TrimEnd(byte[] bytes, bool first)
    {
        var start = first && bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF ? 3 : 0;
        var end = bytes.Length;
        if (end > start && bytes[end - 1] == '\r') end--;
        return bytes.AsMemory(start, end - start);
    }

    static bool IsBlank(ReadOnlyMemory<byte> bytes)
    {
        foreach (var b in bytes.Span) if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r')) return false;
        return true;
    }
}

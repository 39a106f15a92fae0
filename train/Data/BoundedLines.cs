using System.Text;
using System.Text.Unicode;

namespace Toolkit.Train.Data;

/// <summary>
/// The row-size limit of the data readers. A line (JSONL) or physical line of a record (CSV) longer than
/// <see cref="MaxRowBytes"/> is never held in memory: it is skipped while being read and reported as a
/// <see cref="DataErrorKind.RowTooLong"/> bad row at its line, so memory stays bounded whatever the file holds.
/// </summary>
public static class RowLimits
{
    /// <summary>Longest line a data file may have, in bytes: 8 MiB (about 2 M tokens of text; real preference rows are KBs).</summary>
    public const int MaxRowBytes = 8 << 20;
}

/// <summary>One physical line: 1-based number, its bytes without the '\n' (null when longer than the limit), and its length.</summary>
internal readonly record struct PhysicalLine(int Number, byte[]? Bytes, long Length)
{
    public bool TooLong => Bytes is null;
}

/// <summary>Splits a stream at '\n', holding at most maxBytes of one line in memory.</summary>
internal static class BoundedLines
{
    public static IEnumerable<PhysicalLine> Read(Stream stream, int maxBytes = RowLimits.MaxRowBytes)
    {
        var buffer = new byte[1 << 16];
        var line = new MemoryStream();
        long length = 0;
        var number = 0;
        int n;
        while ((n = stream.Read(buffer, 0, buffer.Length)) > 0)
        {
            var start = 0;
            while (start <= n)
            {
                var nl = Array.IndexOf(buffer, (byte)'\n', start, n - start);
                var end = nl < 0 ? n : nl;
                length += end - start;
                if (length <= maxBytes) line.Write(buffer, start, end - start);
                if (nl < 0) break;
                yield return new PhysicalLine(++number, length <= maxBytes ? line.ToArray() : null, length);
                line.SetLength(0);
                length = 0;
                start = nl + 1;
            }
        }
        if (length > 0) yield return new PhysicalLine(++number, length <= maxBytes ? line.ToArray() : null, length);
    }

    /// <summary>The bad row for a line over the limit.</summary>
    public static BadRow TooLong(long length) => new("(line)", DataErrorKind.RowTooLong,
        $"the line is {length:N0} bytes, over the row-size limit of {RowLimits.MaxRowBytes:N0} bytes (RowLimits.MaxRowBytes); it was skipped without being read",
        "split the row, or shorten it (a training row this long would be cut to max_length anyway)");
}

/// <summary>
/// The text of a file for CsvHelper, decoded line by line from <see cref="BoundedLines"/>: lines over the row-size limit
/// are replaced by <see cref="TooLongMarker"/>, and the numbers of lines that are over the limit or not valid UTF-8 are
/// recorded (before CsvHelper sees the record that holds them). A UTF-8 byte order mark at the start is dropped.
/// </summary>
internal sealed class BoundedCsvText(Stream stream) : TextReader
{
    public const string TooLongMarker = "\u0001toolkit: row too long\u0001";
    static readonly UTF8Encoding Lenient = new(false, false);

    readonly IEnumerator<PhysicalLine> lines = BoundedLines.Read(stream).GetEnumerator();
    string current = "";
    int pos;

    /// <summary>Lines that are not valid UTF-8.</summary>
    public HashSet<int> InvalidUtf8 { get; } = [];

    /// <summary>Lines over the row-size limit, with their length in bytes.</summary>
    public Dictionary<int, long> TooLong { get; } = [];

    bool Fill()
    {
        while (pos >= current.Length)
        {
            if (!lines.MoveNext()) return false;
            var l = lines.Current;
            if (l.TooLong)
            {
                TooLong[l.Number] = l.Length;
                current = TooLongMarker + "\n";
            }
            else
            {
                var bytes = l.Bytes!.AsSpan();
                if (l.Number == 1 && bytes.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) bytes = bytes[3..];
                if (!Utf8.IsValid(bytes)) InvalidUtf8.Add(l.Number);
                current = Lenient.GetString(bytes) + "\n";
            }
            pos = 0;
        }
        return true;
    }

    public override int Peek() => Fill() ? current[pos] : -1;

    public override int Read() => Fill() ? current[pos++] : -1;

    public override int Read(char[] buffer, int index, int count)
    {
        if (count == 0 || !Fill()) return 0;
        var take = Math.Min(count, current.Length - pos);
        current.CopyTo(pos, buffer, index, take);
        pos += take;
        return take;
    }

    public override int Read(Span<char> buffer)
    {
        if (buffer.Length == 0 || !Fill()) return 0;
        var take = Math.Min(buffer.Length, current.Length - pos);
        current.AsSpan(pos, take).CopyTo(buffer);
        pos += take;
        return take;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) lines.Dispose();
        base.Dispose(disposing);
    }
}

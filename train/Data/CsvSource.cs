using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsvHelper;
using CsvHelper.Configuration;

namespace Toolkit.Train.Data;

/// <summary>
/// Reads a CSV file with a header row through CsvHelper; each record becomes a JSON object keyed by the header.
/// Cells are strings, except: a cell that starts with '[' or '{' and parses as JSON becomes that JSON (so message lists,
/// <c>output</c> pairs and <c>history</c> can be written as JSON in a cell), and a <c>label</c> cell of true/false
/// (any case) becomes a boolean. Lines holding invalid UTF-8 are found on the raw bytes first, so a record touching one
/// is reported as <see cref="DataErrorKind.InvalidUtf8"/> rather than read with replacement characters.
/// Line numbers are the 1-based physical line where the record starts (a quoted cell may span lines).
/// The file is streamed: a physical line over <see cref="RowLimits.MaxRowBytes"/> is skipped unread and reported.
/// </summary>
internal static class CsvSource
{
    public static IEnumerable<RawRow> Read(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        using var reader = new BoundedCsvText(stream);
        var badLines = reader.InvalidUtf8;

        string? badData = null;
        var config = new CsvConfiguration(CultureInfo.InvariantCulture)
        {
            HasHeaderRecord = true,
            DetectColumnCountChanges = false,
            BadDataFound = args => badData ??= args.RawRecord,
            MissingFieldFound = null,
        };
        using var csv = new CsvReader(reader, config);
        if (!csv.Read()) yield break;
        csv.ReadHeader();
        var header = csv.HeaderRecord ?? [];
        while (csv.Read())
        {
            var raw = csv.Parser.RawRecord;
            var end = csv.Parser.RawRow;
            var start = end - raw.TrimEnd('\r', '\n').Count(c => c == '\n');
            var origin = new RowOrigin(path, start);
            var cells = csv.Parser.Record ?? [];
            if (Enumerable.Range(start, end - start + 1).FirstOrDefault(reader.TooLong.ContainsKey) is var longLine && longLine != 0)
            {
                yield return new RawRow(new RowOrigin(path, longLine), null, BoundedLines.TooLong(reader.TooLong[longLine]));
                badData = null;
                continue;
            }
            if (Enumerable.Range(start, end - start + 1).FirstOrDefault(badLines.Contains) is var bad && bad != 0)
            {
                var column = Array.FindIndex(cells, c => c.Contains('\uFFFD'));
                yield return new RawRow(origin, null, new BadRow(column >= 0 && column < header.Length ? header[column] : "(record)",
                    DataErrorKind.InvalidUtf8, $"line {bad} is not valid UTF-8", "re-save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8), or fix the line"));
                badData = null;
                continue;
            }
            if (badData != null)
            {
                yield return new RawRow(origin, null, new BadRow("(record)", DataErrorKind.InvalidJson,
                    "the record has a stray quote inside an unquoted cell", "quote the cell and double the quotes inside it (\"say \"\"hi\"\"\")"));
                badData = null;
                continue;
            }
            if (cells.Length != header.Length)
            {
                yield return new RawRow(origin, null, new BadRow("(record)", DataErrorKind.InvalidJson,
                    $"the record has {cells.Length} cells but the header has {header.Length}", "quote cells that contain commas, and give every record one cell per column"));
                continue;
            }
            var row = new JsonObject();
            for (var i = 0; i < header.Length; i++) row[header[i]] = Cell(header[i], cells[i]);
            yield return new RawRow(origin, row, null);
        }
    }

    static JsonNode Cell(string column, string cell)
    {
        var t = cell.Trim();
        if (column == "label" && bool.TryParse(t, out var b)) return JsonValue.Create(b);
        if (t.StartsWith('[') || t.StartsWith('{'))
        {
            try
            {
                if (JsonNode.Parse(t) is { } node) return node;
            }
            catch (JsonException)
            {
                // not JSON: the cell is text that happens to start with a bracket
            }
        }
        return JsonValue.Create(cell);
    }
}

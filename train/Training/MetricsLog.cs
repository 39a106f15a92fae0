using System.Globalization;
using System.Text;
using System.Text.Json;
using Toolkit.Core.Checkpoints;

namespace Toolkit.Train.Training;

/// <summary>
/// metrics.jsonl: one JSON object per optimizer step under TRL's names (<c>step</c>, <c>epoch</c>, <c>loss</c>,
/// <c>rewards/chosen</c>, ..., <c>grad_norm</c>, <c>learning_rate</c>, <c>tokens/s</c>, and <c>eval_*</c> on validation
/// steps), appended and flushed line by line so a killed run keeps every finished step. Numbers are written in
/// round-trip form (a resumed run's lines compare exactly); a non-finite value is written as the string "NaN" /
/// "Infinity". The one file the toolkit appends to rather than writes whole: a kill mid-append leaves a torn last line,
/// which <see cref="Read(string)"/> skips, the next <see cref="Append"/> ends first (so it never swallows a whole
/// record), and <see cref="TruncateAfter"/> (the trainer's start, fresh or resumed) drops when it rewrites the file.
/// <see cref="TruncateAfter"/> and <see cref="WriteCsv"/> (metrics.csv, the same table) write whole files through
/// <see cref="AtomicFile"/>.
/// </summary>
public sealed class MetricsLog(string folder)
{
    /// <summary>metrics.jsonl.</summary>
    public string JsonlPath { get; } = Path.Combine(folder, "metrics.jsonl");

    /// <summary>metrics.csv.</summary>
    public string CsvPath { get; } = Path.Combine(folder, "metrics.csv");

    /// <summary>Appends one record (keys in the given order).</summary>
    public void Append(IEnumerable<KeyValuePair<string, double>> record)
    {
        var bytes = Encoding.UTF8.GetBytes(Line(record) + "\n");
        using var f = new FileStream(JsonlPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        if (f.Length > 0)
        {
            f.Seek(-1, SeekOrigin.End);
            if (f.ReadByte() != '\n') f.WriteByte((byte)'\n');   // a torn last line (killed mid-append) is ended, not continued
        }
        f.Seek(0, SeekOrigin.End);
        f.Write(bytes);
        f.Flush(flushToDisk: false);
    }

    static string Line(IEnumerable<KeyValuePair<string, double>> record)
    {
        var sb = new StringBuilder("{");
        var first = true;
        foreach (var (k, v) in record)
        {
            if (!first) sb.Append(',');
            first = false;
            sb.Append(JsonSerializer.Serialize(k)).Append(':').Append(Format(v));
        }
        return sb.Append('}').ToString();
    }

    static string Format(double v) => double.IsFinite(v) ? v.ToString("R", CultureInfo.InvariantCulture) : $"\"{v.ToString(CultureInfo.InvariantCulture)}\"";

    /// <summary>Every record of <paramref name="path"/> (metrics.jsonl), keys in file order.</summary>
    public static List<List<KeyValuePair<string, double>>> Read(string path)
    {
        var result = new List<List<KeyValuePair<string, double>>>();
        if (!File.Exists(path)) return result;
        foreach (var line in File.ReadLines(path))
        {
            if (line.Length == 0) continue;
            JsonDocument doc;
            try { doc = JsonDocument.Parse(line); }
            catch (JsonException) { continue; }   // a line cut by a kill mid-write: ignored (it is rewritten on resume)
            using (doc)
                result.Add([.. doc.RootElement.EnumerateObject().Select(p => new KeyValuePair<string, double>(p.Name,
                    p.Value.ValueKind == JsonValueKind.Number ? p.Value.GetDouble() : double.Parse(p.Value.GetString()!, CultureInfo.InvariantCulture)))]);
        }
        return result;
    }

    /// <summary>All records.</summary>
    public List<List<KeyValuePair<string, double>>> Read() => Read(JsonlPath);

    /// <summary>
    /// Keeps only the records with step ≤ <paramref name="step"/> (on resume: the steps after the checkpoint are run
    /// again), and drops a torn line; the file is rewritten whole (a kill during the rewrite keeps the old one).
    /// </summary>
    public void TruncateAfter(int step)
    {
        if (!File.Exists(JsonlPath)) return;
        var kept = Read().Where(r => r.FirstOrDefault(kv => kv.Key == "step").Value <= step).ToList();
        AtomicFile.WriteAllLines(JsonlPath, kept.Select(Line));
    }

    /// <summary>Rewrites metrics.csv from metrics.jsonl: columns in first-appearance order, empty cells where a step lacks a metric.</summary>
    public void WriteCsv()
    {
        var records = Read();
        var columns = new List<string>();
        foreach (var r in records)
            foreach (var (k, _) in r)
                if (!columns.Contains(k)) columns.Add(k);
        AtomicFile.Write(CsvPath, stream =>
        {
            using var writer = new StreamWriter(stream, new UTF8Encoding(false), bufferSize: 1 << 16, leaveOpen: true);
            using var csv = new CsvHelper.CsvWriter(writer, CultureInfo.InvariantCulture);             // quoting by CsvHelper (RFC 4180)
            foreach (var c in columns) csv.WriteField(c);
            csv.NextRecord();
            foreach (var r in records)
            {
                var map = r.ToDictionary(kv => kv.Key, kv => kv.Value);
                foreach (var c in columns) csv.WriteField(map.TryGetValue(c, out var v) ? v.ToString("R", CultureInfo.InvariantCulture) : "");
                csv.NextRecord();
            }
        });
    }
}

using System.Text.Json;

namespace Toolkit.Quantize;

/// <summary>
/// Text samples for calibration and held-out perplexity: a plain text file gives one sample per non-empty line; a
/// .jsonl file gives, per line, its "text" field, else all string values of the object (prompt, completion, chosen, …)
/// joined by newlines, else the "content" of every message in "messages".
/// </summary>
public static class TextSamples
{
    /// <summary>Up to <paramref name="max"/> samples of <paramref name="path"/>; errors name the file and line.</summary>
    public static List<string> Read(string path, int max)
    {
        var full = Path.GetFullPath(path);
        if (!File.Exists(full)) throw new QuantizeException($"text file '{full}' does not exist. HINT: pass a text file (one sample a line) or the training .jsonl");
        var jsonl = full.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase);
        var samples = new List<string>();
        var lineNo = 0;
        foreach (var line in File.ReadLines(full))
        {
            lineNo++;
            if (samples.Count >= max) break;
            if (string.IsNullOrWhiteSpace(line)) continue;
            if (!jsonl) { samples.Add(line); continue; }
            try
            {
                using var doc = JsonDocument.Parse(line);
                var root = doc.RootElement;
                if (root.ValueKind != JsonValueKind.Object) throw new QuantizeException($"{full}, line {lineNo}: a JSON object expected. HINT: one object a line, with a \"text\" field");
                if (root.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String) { samples.Add(t.GetString()!); continue; }
                var parts = root.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.String).Select(p => p.Value.GetString()!).ToList();
                if (root.TryGetProperty("messages", out var m) && m.ValueKind == JsonValueKind.Array)
                    parts.AddRange(m.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.Object && x.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String).Select(x => x.GetProperty("content").GetString()!));
                if (parts.Count == 0) throw new QuantizeException($"{full}, line {lineNo}: no text field. HINT: give each line a \"text\" string");
                samples.Add(string.Join("\n", parts));
            }
            catch (JsonException e)
            {
                throw new QuantizeException($"{full}, line {lineNo}: not valid JSON ({e.Message}). HINT: one JSON object a line", e);
            }
        }
        if (samples.Count == 0) throw new QuantizeException($"{full}: no non-empty samples. HINT: one sample a line");
        return samples;
    }
}

using System.Text.Json;

namespace Toolkit.Quantize;

/// <summary>
/// Text samples for calibration and held-out perplexity: a plain text file gives one sample per non-empty line; a
/// .jsonl file gives, per line, its "text" field, else the object's string values and arrays of strings (prompt,
/// completion, chosen, MT-Bench "turns", …) and the "content" of every message in an array (messages, TRL
/// conversational prompt / chosen / rejected), joined by newlines.
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
                var parts = new List<string>();
                foreach (var p in root.EnumerateObject())
                    if (p.Value.ValueKind == JsonValueKind.String) parts.Add(p.Value.GetString()!);
                    else if (p.Value.ValueKind == JsonValueKind.Array)
                        foreach (var x in p.Value.EnumerateArray())
                            if (x.ValueKind == JsonValueKind.String) parts.Add(x.GetString()!);
                            else if (x.ValueKind == JsonValueKind.Object && x.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String) parts.Add(c.GetString()!);
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

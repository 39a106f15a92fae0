using System.Globalization;
using System.Text.Json;

namespace Toolkit.Core.Checkpoints;

/// <summary>
/// Typed reads of one JSON object's fields with errors that name the file and the field
/// (<c>config.json: field 'hidden_size' ...</c>). Remembers which fields were read, so the rest can be kept verbatim.
/// </summary>
internal sealed class JsonFields(JsonElement obj, string file)
{
    readonly HashSet<string> read = new(StringComparer.Ordinal);

    public string File => file;

    public CheckpointException Error(string field, string problem, string hint) =>
        new(file, $"{file}: field '{field}' {problem}. HINT: {hint}");

    /// <summary>The field's value, or null when absent or JSON null.</summary>
    public JsonElement? Get(string field)
    {
        read.Add(field);
        return obj.TryGetProperty(field, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;
    }

    public int? Int(string field, int min = int.MinValue)
    {
        if (Get(field) is not { } v) return null;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out var i))
            throw Error(field, $"is {v.GetRawText()}, not an integer", "write a whole number");
        if (i < min) throw Error(field, $"is {i}, below the minimum {min}", $"write a value of at least {min}");
        return i;
    }

    public int RequiredInt(string field, int min) =>
        Int(field, min) ?? throw Error(field, "is missing", "add it; every config of this model type has it");

    public double? Double(string field)
    {
        if (Get(field) is not { } v) return null;
        if (v.ValueKind != JsonValueKind.Number) throw Error(field, $"is {v.GetRawText()}, not a number", "write a number");
        return v.GetDouble();
    }

    public bool? Bool(string field)
    {
        if (Get(field) is not { } v) return null;
        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Error(field, $"is {v.GetRawText()}, not true or false", "write true or false"),
        };
    }

    public string? String(string field)
    {
        if (Get(field) is not { } v) return null;
        if (v.ValueKind != JsonValueKind.String) throw Error(field, $"is {v.GetRawText()}, not a string", "write a JSON string");
        return v.GetString();
    }

    /// <summary>An int or a list of ints (HF writes eos_token_id either way); null when absent.</summary>
    public int[]? IntOrList(string field)
    {
        if (Get(field) is not { } v) return null;
        if (v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var one)) return [one];
        if (v.ValueKind == JsonValueKind.Array && v.EnumerateArray().All(e => e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out _)))
            return [.. v.EnumerateArray().Select(e => e.GetInt32())];
        throw Error(field, $"is {v.GetRawText()}, not an integer or a list of integers", "write a token id or a list of token ids");
    }

    /// <summary>Every field not read so far, cloned (so it outlives the document).</summary>
    public SortedDictionary<string, JsonElement> Rest()
    {
        var rest = new SortedDictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var p in obj.EnumerateObject())
            if (!read.Contains(p.Name)) rest[p.Name] = p.Value.Clone();
        return rest;
    }

    /// <summary>Parses a JSON object file, with errors naming it.</summary>
    public static JsonDocument ParseFile(string path, string hint)
    {
        if (!System.IO.File.Exists(path)) throw new CheckpointException(path, $"'{path}' does not exist. HINT: {hint}");
        JsonDocument doc;
        var bytes = System.IO.File.ReadAllBytes(path);
        if (!System.Text.Unicode.Utf8.IsValid(bytes))
            throw new CheckpointException(path, $"{path}: not valid UTF-8 text. HINT: {hint}");
        try { doc = JsonDocument.Parse(bytes, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }); }
        catch (JsonException e)
        {
            throw new CheckpointException(path, $"{path}: not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine}: {e.Message}). HINT: {hint}", e);
        }
        if (doc.RootElement.ValueKind != JsonValueKind.Object)
        {
            doc.Dispose();
            throw new CheckpointException(path, $"{path}: the top level is a JSON {doc.RootElement.ValueKind}, not an object. HINT: {hint}");
        }
        return doc;
    }

    /// <summary>Writes a double the way Python's json does: "1e-05", "500000.0", "0.7".</summary>
    public static void WritePythonFloat(Utf8JsonWriter json, string name, double value)
    {
        json.WritePropertyName(name);
        WritePythonFloatValue(json, value);
    }

    public static void WritePythonFloatValue(Utf8JsonWriter json, double value)
    {
        if (!double.IsFinite(value)) throw new ArgumentException($"{value} cannot be written to JSON");
        var text = value.ToString("R", CultureInfo.InvariantCulture).Replace("E", "e", StringComparison.Ordinal);
        if (!text.Contains('.') && !text.Contains('e')) text += ".0";
        json.WriteRawValue(text);
    }

    /// <summary>An int list written as an int when it has one element (as HF configs do), else as a list.</summary>
    public static void WriteIntOrList(Utf8JsonWriter json, string name, IReadOnlyList<int> ids)
    {
        if (ids.Count == 1) { json.WriteNumber(name, ids[0]); return; }
        json.WriteStartArray(name);
        foreach (var id in ids) json.WriteNumberValue(id);
        json.WriteEndArray();
    }
}

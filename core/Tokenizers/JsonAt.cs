using System.Text.Json;

namespace Toolkit.Core.Tokenizers;

/// <summary>A JSON value together with the file it came from and its JSON path, so every error can say where it is.</summary>
readonly record struct JsonAt(JsonElement Element, string File, string Path)
{
    public JsonValueKind Kind => Element.ValueKind;

    public bool IsNull => Element.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined;

    /// <summary>The child <paramref name="name"/>; an absent child reads as JSON null.</summary>
    public JsonAt this[string name] =>
        Element.ValueKind == JsonValueKind.Object && Element.TryGetProperty(name, out var v)
            ? new JsonAt(v, File, $"{Path}.{name}")
            : new JsonAt(default, File, $"{Path}.{name}");

    public bool Has(string name) => Element.ValueKind == JsonValueKind.Object && Element.TryGetProperty(name, out var v)
        && v.ValueKind != JsonValueKind.Null;

    public IEnumerable<JsonAt> Items()
    {
        Expect(JsonValueKind.Array);
        var i = 0;
        foreach (var e in Element.EnumerateArray()) yield return new JsonAt(e, File, $"{Path}[{i++}]");
    }

    public string String()
    {
        Expect(JsonValueKind.String);
        return Element.GetString()!;
    }

    public string? StringOrNull() => IsNull ? null : String();

    public bool Bool(bool fallback)
    {
        if (IsNull) return fallback;
        if (Element.ValueKind is not (JsonValueKind.True or JsonValueKind.False)) throw Bad("expected true or false");
        return Element.GetBoolean();
    }

    public int Int()
    {
        if (Element.ValueKind != JsonValueKind.Number || !Element.TryGetInt32(out var v)) throw Bad("expected an integer");
        return v;
    }

    public int Int(int fallback) => IsNull ? fallback : Int();

    /// <summary>The <c>type</c> field of a component object.</summary>
    public string Type() => this["type"].String();

    public void Expect(JsonValueKind kind)
    {
        if (Element.ValueKind != kind)
            throw Bad($"expected a JSON {kind.ToString().ToLowerInvariant()}, found {Describe()}");
    }

    string Describe() => Element.ValueKind == JsonValueKind.Undefined ? "nothing (the field is missing)" : $"a JSON {Element.ValueKind.ToString().ToLowerInvariant()}";

    public TokenizerFormatException Bad(string problem) =>
        new(File, Path, problem, "the file is not a valid Hugging Face tokenizer.json; re-download or re-save it with `tokenizer.save_pretrained`");

    /// <summary>The error for a component kind (<paramref name="what"/>, e.g. "pre_tokenizer") this reader does not implement.</summary>
    public TokenizerFormatException Unsupported(string what, string kind, string supported) =>
        new(File, Path, $"{what} type '{kind}' is not supported",
            $"this reader supports {what} types: {supported}; use a model whose tokenizer.json uses only those");
}

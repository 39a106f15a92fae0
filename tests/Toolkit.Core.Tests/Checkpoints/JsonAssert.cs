using System.Text.Json;

namespace Toolkit.Core.Tests.Checkpoints;

/// <summary>Semantic JSON comparison: numbers by value (1e-05 = 1E-05, 32.0 = 32), objects by key set, arrays in order.</summary>
static class JsonAssert
{
    public static bool Same(JsonElement a, JsonElement b)
    {
        if (a.ValueKind != b.ValueKind) return false;
        return a.ValueKind switch
        {
            JsonValueKind.Number => a.GetDouble() == b.GetDouble(),
            JsonValueKind.String => a.GetString() == b.GetString(),
            JsonValueKind.Array => a.GetArrayLength() == b.GetArrayLength() && a.EnumerateArray().Zip(b.EnumerateArray()).All(p => Same(p.First, p.Second)),
            JsonValueKind.Object => a.EnumerateObject().Count() == b.EnumerateObject().Count()
                                    && a.EnumerateObject().All(p => b.TryGetProperty(p.Name, out var q) && Same(p.Value, q)),
            _ => true, // true, false, null: same kind is same value
        };
    }

    /// <summary>Asserts every field of <paramref name="original"/> is in <paramref name="rewritten"/> with the same value; returns the fields added.</summary>
    public static List<string> Preserved(string original, string rewritten)
    {
        using var o = JsonDocument.Parse(original);
        using var r = JsonDocument.Parse(rewritten);
        foreach (var p in o.RootElement.EnumerateObject())
        {
            Assert.True(r.RootElement.TryGetProperty(p.Name, out var v), $"field '{p.Name}' was dropped");
            Assert.True(Same(p.Value, v), $"field '{p.Name}': {p.Value.GetRawText()} became {v.GetRawText()}");
        }
        return [.. r.RootElement.EnumerateObject().Select(p => p.Name).Where(n => !o.RootElement.TryGetProperty(n, out _)).Order(StringComparer.Ordinal)];
    }
}

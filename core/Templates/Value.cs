using System.Collections;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Toolkit.Core.Templates;

/// <summary>
/// A runtime value: the JSON-like tree templates read (none, bool, int, float, string, list, dict) plus undefined,
/// namespace and callables. Dicts keep insertion order, as Python's do, so <c>tojson</c> and <c>items()</c> follow it.
/// </summary>
internal abstract class Value
{
    public abstract bool Truthy { get; }
    public abstract string TypeName { get; }

    public static readonly NoneValue None = new();
    public static readonly BoolValue True = new(true), False = new(false);
    public static BoolValue Bool(bool b) => b ? True : False;
    public static UndefinedValue Undefined(string? name = null) => new(name);

    /// <summary>Converts a caller-supplied object (JsonNode, JsonElement, CLR scalar, list, dictionary, ChatMessage) to a value.</summary>
    public static Value From(object? o) => o switch
    {
        null => None,
        Value v => v,
        string s => new StringValue(s),
        bool b => Bool(b),
        int or long or short or byte or uint or sbyte or ushort => new IntValue(Convert.ToInt64(o, CultureInfo.InvariantCulture)),
        ulong u => u <= long.MaxValue ? new IntValue((long)u) : new FloatValue(u),
        double d => new FloatValue(d),
        float f => new FloatValue(f),
        decimal m => new FloatValue((double)m),
        JsonNode n => FromJson(n),
        JsonElement e => FromElement(e),
        ChatMessage m => FromJson(m.ToJson()),
        Func<string, string> f => new FunctionValue("function", (a, _) => new StringValue(f(a.Positional.Count > 0 ? a.Positional[0].Display() : ""))),
        IDictionary d => FromDictionary(d),
        IEnumerable e => new ListValue([.. e.Cast<object?>().Select(From)]),
        _ => throw new ArgumentException($"cannot pass a {o.GetType().Name} to a chat template; use JsonNode, string, number, bool, list or dictionary"),
    };

    static DictValue FromDictionary(IDictionary d)
    {
        var r = new DictValue();
        foreach (DictionaryEntry kv in d) r.Items[Convert.ToString(kv.Key, CultureInfo.InvariantCulture)!] = From(kv.Value);
        return r;
    }

    public static Value FromJson(JsonNode? n)
    {
        switch (n)
        {
            case null: return None;
            case JsonObject o:
                var d = new DictValue();
                foreach (var (k, v) in o) d.Items[k] = FromJson(v);
                return d;
            case JsonArray a:
                return new ListValue([.. a.Select(FromJson)]);
            case JsonValue jv when jv.TryGetValue<JsonElement>(out var e):
                return FromElement(e);
            case JsonValue jv:
                // a JsonValue built from a CLR value (JsonValue.Create("x"), implicit conversions)
                switch (jv.GetValueKind())
                {
                    case JsonValueKind.String: return new StringValue(jv.GetValue<string>());
                    case JsonValueKind.True: return True;
                    case JsonValueKind.False: return False;
                    case JsonValueKind.Null: return None;
                }
                if (jv.TryGetValue<long>(out var l)) return new IntValue(l);
                if (jv.TryGetValue<int>(out var i)) return new IntValue(i);
                if (jv.TryGetValue<double>(out var dbl)) return new FloatValue(dbl);
                if (jv.TryGetValue<float>(out var f)) return new FloatValue(f);
                if (jv.TryGetValue<decimal>(out var m)) return new FloatValue((double)m);
                return FromElement(JsonSerializer.SerializeToElement(jv));
            default:
                throw new ArgumentException($"unsupported JSON node {n.GetType().Name}");
        }
    }

    static Value FromElement(JsonElement e)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
            case JsonValueKind.Array:
                return FromJson(JsonNode.Parse(e.GetRawText()));
            case JsonValueKind.String: return new StringValue(e.GetString()!);
            case JsonValueKind.True: return True;
            case JsonValueKind.False: return False;
            case JsonValueKind.Null: return None;
            case JsonValueKind.Number:
                var raw = e.GetRawText();
                // Python's json.loads: a number written with '.', 'e' or 'E' is a float
                if (raw.IndexOfAny(['.', 'e', 'E']) < 0 && e.TryGetInt64(out var l)) return new IntValue(l);
                return new FloatValue(e.GetDouble());
            default: throw new ArgumentException($"unsupported JSON value kind {e.ValueKind}");
        }
    }

    /// <summary>How <c>{{ value }}</c> prints (see <see cref="Format.Display"/>).</summary>
    public string Display() => Format.Display(this);
}

internal sealed class UndefinedValue(string? name) : Value
{
    public string? Name { get; } = name;
    public override bool Truthy => false;
    public override string TypeName => "undefined";
}

internal sealed class NoneValue : Value
{
    public override bool Truthy => false;
    public override string TypeName => "none";
}

internal sealed class BoolValue(bool value) : Value
{
    public bool V { get; } = value;
    public override bool Truthy => V;
    public override string TypeName => "boolean";
}

internal sealed class IntValue(long value) : Value
{
    public long V { get; } = value;
    public override bool Truthy => V != 0;
    public override string TypeName => "integer";
}

internal sealed class FloatValue(double value) : Value
{
    public double V { get; } = value;
    public override bool Truthy => V != 0;
    public override string TypeName => "float";
}

internal sealed class StringValue(string value) : Value
{
    public string V { get; } = value;
    public override bool Truthy => V.Length > 0;
    public override string TypeName => "string";
}

internal sealed class ListValue(List<Value> items, bool isTuple = false) : Value
{
    public List<Value> Items { get; } = items;
    public bool IsTuple { get; } = isTuple;
    public override bool Truthy => Items.Count > 0;
    public override string TypeName => IsTuple ? "tuple" : "list";
}

internal sealed class DictValue : Value
{
    public OrderedDictionary<string, Value> Items { get; } = new(StringComparer.Ordinal);
    public override bool Truthy => Items.Count > 0;
    public override string TypeName => "dict";
}

/// <summary>The object <c>namespace(...)</c> returns: the one value a <c>{% set ns.x = ... %}</c> may change.</summary>
internal sealed class NamespaceValue : Value
{
    public OrderedDictionary<string, Value> Items { get; } = new(StringComparer.Ordinal);
    public override bool Truthy => true;
    public override string TypeName => "namespace";
}

/// <summary>Arguments of a call: positional values, keyword values in call order, and the call's position.</summary>
internal sealed record Args(List<Value> Positional, OrderedDictionary<string, Value> Kwargs, Pos Pos)
{
    /// <summary>Positional <paramref name="index"/>, else keyword <paramref name="name"/>, else null.</summary>
    public Value? Get(int index, string name) =>
        index < Positional.Count ? Positional[index] : Kwargs.TryGetValue(name, out var v) ? v : null;
}

internal sealed class FunctionValue(string name, Func<Args, Interpreter, Value> body) : Value
{
    public string Name { get; } = name;
    public Func<Args, Interpreter, Value> Body { get; } = body;
    public override bool Truthy => true;
    public override string TypeName => "function";
}

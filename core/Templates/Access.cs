namespace Toolkit.Core.Templates;

/// <summary>
/// <c>x.name</c>, <c>x[key]</c> and <c>x[a:b:c]</c>. A missing key or index gives undefined (never an error), and so
/// does any attribute of undefined or none, as in @huggingface/jinja; calling such a value is the error.
/// <c>x.name</c> prefers a method (<c>d.items</c> is the method, as in jinja2), <c>x['name']</c> prefers the key.
/// </summary>
internal static class Access
{
    public static Value GetAttr(Value target, string name)
    {
        switch (target)
        {
            case DictValue d:
                return (Value?)Methods.Bind(target, name) ?? (d.Items.TryGetValue(name, out var v) ? v : Value.Undefined(name));
            case NamespaceValue ns:
                return ns.Items.TryGetValue(name, out var nv) ? nv : Value.Undefined(name);
            default:
                return (Value?)Methods.Bind(target, name) ?? Value.Undefined(name);
        }
    }

    public static Value GetItem(Value target, Value key)
    {
        switch (target)
        {
            case DictValue d when key is StringValue s:
                return d.Items.TryGetValue(s.V, out var v) ? v : (Value?)Methods.Bind(target, s.V) ?? Value.Undefined(s.V);
            case NamespaceValue ns when key is StringValue s:
                return ns.Items.TryGetValue(s.V, out var nv) ? nv : Value.Undefined(s.V);
            case ListValue l when AsIndex(key) is { } i:
                if (i < 0) i += l.Items.Count;
                return i >= 0 && i < l.Items.Count ? l.Items[(int)i] : Value.Undefined();
            case StringValue str when AsIndex(key) is { } i:
                if (i < 0) i += str.V.Length;
                return i >= 0 && i < str.V.Length ? new StringValue(str.V[(int)i].ToString()) : Value.Undefined();
            case ListValue or StringValue when key is StringValue s:
                return (Value?)Methods.Bind(target, s.V) ?? Value.Undefined(s.V);
            default:
                return Value.Undefined(key is StringValue k ? k.V : null);
        }
    }

    static long? AsIndex(Value v) => v switch
    {
        IntValue i => i.V,
        BoolValue b => b.V ? 1 : 0,
        _ => null,
    };

    /// <summary>Python's slice semantics for lists and strings, negative indices and steps included.</summary>
    public static Value Slice(Value target, long? start, long? stop, long? step)
    {
        var st = step ?? 1;
        if (st == 0) throw new ArgumentException("slice step cannot be zero");
        switch (target)
        {
            case ListValue l:
                return new ListValue([.. Indices(l.Items.Count, start, stop, st).Select(i => l.Items[i])]);
            case StringValue s:
                return new StringValue(string.Concat(Indices(s.V.Length, start, stop, st).Select(i => s.V[i])));
            case UndefinedValue:
                return target;
            default:
                throw new InvalidOperationException($"cannot slice a {target.TypeName}");
        }
    }

    static IEnumerable<int> Indices(int n, long? start, long? stop, long step)
    {
        long Clamp(long v, long lo, long hi) => Math.Max(lo, Math.Min(hi, v));
        long a, b;
        if (step > 0)
        {
            a = start is { } s ? (s < 0 ? Clamp(s + n, 0, n) : Clamp(s, 0, n)) : 0;
            b = stop is { } e ? (e < 0 ? Clamp(e + n, 0, n) : Clamp(e, 0, n)) : n;
            for (var i = a; i < b; i += step) yield return (int)i;
        }
        else
        {
            a = start is { } s ? (s < 0 ? Clamp(s + n, -1, n - 1) : Clamp(s, -1, n - 1)) : n - 1;
            b = stop is { } e ? (e < 0 ? Clamp(e + n, -1, n - 1) : Clamp(e, -1, n - 1)) : -1;
            for (var i = a; i > b; i += step) yield return (int)i;
        }
    }
}

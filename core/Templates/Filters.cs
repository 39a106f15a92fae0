using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Toolkit.Core.Templates;

/// <summary>
/// The <c>|filter</c>s chat templates use, with jinja2's argument names and defaults. Names are checked at parse time
/// (<see cref="CheckKnown"/>), so a template using one outside this set fails before it renders anything.
/// </summary>
internal static partial class Filters
{
    public static readonly HashSet<string> Names =
    [
        "length", "count", "trim", "upper", "lower", "title", "capitalize", "replace", "join", "first", "last",
        "default", "d", "tojson", "string", "int", "float", "list", "items", "selectattr", "rejectattr", "map",
        "select", "reject", "unique", "reverse", "sort", "safe", "e", "escape", "indent", "abs", "round",
        "wordcount", "dictsort", "max", "min", "sum",
    ];

    public static void CheckKnown(string name, Pos pos)
    {
        if (!Names.Contains(name))
            throw new TemplateException($"unknown filter '{name}'; supported filters: {string.Join(", ", Names.Order(StringComparer.Ordinal))}", pos);
    }

    static bool Flag(Args a, int i, string name, bool dflt) => a.Get(i, name) is { } v ? v.Truthy : dflt;

    public static Value Apply(Interpreter it, string name, Value v, Args a)
    {
        switch (name)
        {
            case "safe": return v;
            case "length" or "count":
                return new IntValue(v switch
                {
                    StringValue s => s.V.Length,
                    ListValue l => l.Items.Count,
                    DictValue d => d.Items.Count,
                    UndefinedValue => 0,
                    _ => throw new ArgumentException($"object of type '{v.TypeName}' has no len()"),
                });
            case "string": return v is StringValue ? v : new StringValue(Format.Str(v));
            case "trim": return new StringValue(Methods.Strip(Text(v, name), a.Get(0, "chars") is StringValue c ? c.V : null, true, true));
            case "upper": return new StringValue(Text(v, name).ToUpperInvariant());
            case "lower": return new StringValue(Text(v, name).ToLowerInvariant());
            case "capitalize": return new StringValue(Methods.Capitalize(Text(v, name)));
            case "title": return new StringValue(Title(Text(v, name)));
            case "replace":
            {
                var old = a.Get(0, "old") is StringValue o ? o.V : throw new ArgumentException("replace needs string 'old' and 'new' arguments");
                var nw = a.Get(1, "new") is { } n ? Format.Str(n) : throw new ArgumentException("replace needs string 'old' and 'new' arguments");
                var count = a.Get(2, "count") is IntValue cnt ? cnt.V : -1;
                return new StringValue(Methods.Replace(Text(v, name), old, nw, count));
            }
            case "e" or "escape": return new StringValue(HtmlEscape(Format.Str(v)));
            case "wordcount": return new IntValue(WordRegex().Matches(Text(v, name)).Count);
            case "indent": return new StringValue(Indent(Text(v, name), a));
            case "default" or "d":
            {
                var dflt = a.Get(0, "default_value") ?? new StringValue("");
                return v is UndefinedValue || (Flag(a, 1, "boolean", false) && !v.Truthy) ? dflt : v;
            }
            case "tojson": return new StringValue(ToJson(v, a));
            case "int": return ToInt(v, a);
            case "float": return ToFloat(v, a);
            case "abs":
                return v switch
                {
                    IntValue i => new IntValue(Math.Abs(i.V)),
                    FloatValue f => new FloatValue(Math.Abs(f.V)),
                    BoolValue b => new IntValue(b.V ? 1 : 0),
                    _ => throw new ArgumentException($"bad operand type for abs(): '{v.TypeName}'"),
                };
            case "round": return Round(v, a);
            case "first":
            {
                var items = Interpreter.Iterate(v);
                return items.Count > 0 ? items[0] : Value.Undefined("first item");
            }
            case "last":
            {
                var items = Interpreter.Iterate(v);
                return items.Count > 0 ? items[^1] : Value.Undefined("last item");
            }
            case "list": return new ListValue(Interpreter.Iterate(v));
            case "reverse":
                return v is StringValue rs ? new StringValue(new string([.. rs.V.Reverse()]))
                    : new ListValue([.. Enumerable.Reverse(Interpreter.Iterate(v))]);
            case "items":
                return v switch
                {
                    DictValue d => Methods.Items(d),
                    UndefinedValue => new ListValue([]),
                    _ => throw new ArgumentException($"items filter needs a mapping, got {v.TypeName}"),
                };
            case "join":
            {
                var sep = a.Get(0, "d") is { } s ? Format.Str(s) : "";
                var attr = a.Get(1, "attribute") is StringValue at ? at.V : null;
                var items = Interpreter.Iterate(v).Select(x => attr is null ? x : AttributePath(x, attr));
                return new StringValue(string.Join(sep, items.Select(Format.Str)));
            }
            case "selectattr" or "rejectattr":
            {
                var attr = a.Get(0, "attribute") is StringValue at ? at.V : throw new ArgumentException($"{name} needs an attribute name");
                var select = name == "selectattr";
                var test = a.Positional.Count > 1 ? Text(a.Positional[1], "test name") : null;
                var targs = a.Positional.Skip(2).ToList();
                return new ListValue([.. Interpreter.Iterate(v).Where(x =>
                {
                    var av = AttributePath(x, attr);
                    return (test is null ? av.Truthy : Tests.Apply(test, av, targs)) == select;
                })]);
            }
            case "select" or "reject":
            {
                var select = name == "select";
                var test = a.Positional.Count > 0 ? Text(a.Positional[0], "test name") : null;
                var targs = a.Positional.Skip(1).ToList();
                return new ListValue([.. Interpreter.Iterate(v).Where(x =>
                    (test is null ? x.Truthy : Tests.Apply(test, x, targs)) == select)]);
            }
            case "map":
            {
                var items = Interpreter.Iterate(v);
                if (a.Kwargs.TryGetValue("attribute", out var attrV))
                {
                    var attr = Format.Str(attrV);
                    a.Kwargs.TryGetValue("default", out var dflt);
                    return new ListValue([.. items.Select(x => AttributePath(x, attr) is var r && r is UndefinedValue && dflt is not null ? dflt : r)]);
                }
                if (a.Positional.Count == 0) throw new ArgumentException("map needs a filter name or attribute=...");
                var filter = Text(a.Positional[0], "filter name");
                if (!Names.Contains(filter)) throw new ArgumentException($"map: unknown filter '{filter}'");
                var rest = new Args([.. a.Positional.Skip(1)], a.Kwargs, a.Pos);
                return new ListValue([.. items.Select(x => Apply(it, filter, x, rest))]);
            }
            case "unique":
            {
                var cs = Flag(a, 0, "case_sensitive", false);
                var attr = a.Get(1, "attribute") is StringValue at ? at.V : null;
                var seen = new List<Value>();
                var r = new List<Value>();
                foreach (var x in Interpreter.Iterate(v))
                {
                    var key = SortKey(attr is null ? x : AttributePath(x, attr), cs);
                    if (seen.Any(s => Operators.Equal(s, key))) continue;
                    seen.Add(key);
                    r.Add(x);
                }
                return new ListValue(r);
            }
            case "sort":
            {
                var reverse = Flag(a, 0, "reverse", false);
                var cs = Flag(a, 1, "case_sensitive", false);
                var attr = a.Get(2, "attribute") is { } at and not NoneValue ? Format.Str(at) : null;
                var items = Interpreter.Iterate(v);
                var keyed = items.Select((x, i) => (Key: SortKey(attr is null ? x : AttributePath(x, attr), cs), Item: x, Index: i)).ToList();
                keyed.Sort((p, q) =>
                {
                    var c = Operators.Compare(p.Key, q.Key);
                    if (reverse) c = -c;
                    return c != 0 ? c : p.Index.CompareTo(q.Index);
                });
                return new ListValue([.. keyed.Select(k => k.Item)]);
            }
            case "dictsort":
            {
                if (v is not DictValue d) throw new ArgumentException($"dictsort needs a mapping, got {v.TypeName}");
                var cs = Flag(a, 0, "case_sensitive", false);
                var by = a.Get(1, "by") is StringValue b ? b.V : "key";
                var reverse = Flag(a, 2, "reverse", false);
                var pairs = Methods.Items(d).Items.Cast<ListValue>().ToList();
                var idx = by == "value" ? 1 : by == "key" ? 0 : throw new ArgumentException("dictsort: 'by' must be 'key' or 'value'");
                var sorted = pairs.Select((p, i) => (P: p, I: i)).ToList();
                sorted.Sort((p, q) =>
                {
                    var c = Operators.Compare(SortKey(p.P.Items[idx], cs), SortKey(q.P.Items[idx], cs));
                    if (reverse) c = -c;
                    return c != 0 ? c : p.I.CompareTo(q.I);
                });
                return new ListValue([.. sorted.Select(x => (Value)x.P)]);
            }
            case "max" or "min":
            {
                var cs = Flag(a, 0, "case_sensitive", false);
                var attr = a.Get(1, "attribute") is StringValue at ? at.V : null;
                var items = Interpreter.Iterate(v);
                if (items.Count == 0) return Value.Undefined($"{name} of an empty sequence");
                var best = items[0];
                foreach (var x in items.Skip(1))
                {
                    var cmp = Operators.Compare(SortKey(attr is null ? x : AttributePath(x, attr), cs), SortKey(attr is null ? best : AttributePath(best, attr), cs));
                    if (name == "max" ? cmp > 0 : cmp < 0) best = x;
                }
                return best;
            }
            case "sum":
            {
                var attr = a.Get(0, "attribute") is StringValue at ? at.V : null;
                Value acc = a.Get(1, "start") ?? new IntValue(0);
                foreach (var x in Interpreter.Iterate(v)) acc = Operators.Binary("+", acc, attr is null ? x : AttributePath(x, attr));
                return acc;
            }
        }
        throw new ArgumentException($"unknown filter '{name}'");
    }

    static string Text(Value v, string what) => v switch
    {
        StringValue s => s.V,
        UndefinedValue => "",
        _ => Format.Str(v),
    };

    /// <summary>jinja2's attribute path for selectattr/map/sort: "a.b.0" looks up keys and list indices in turn.</summary>
    static Value AttributePath(Value v, string path)
    {
        foreach (var part in path.Split('.'))
        {
            v = long.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && v is ListValue
                ? Access.GetItem(v, new IntValue(n))
                : Access.GetItem(v, new StringValue(part));
            if (v is UndefinedValue) return v;
        }
        return v;
    }

    static Value SortKey(Value v, bool caseSensitive) =>
        !caseSensitive && v is StringValue s ? new StringValue(s.V.ToLowerInvariant()) : v;

    /// <summary>jinja2's title filter: a word starts after '-', whitespace or an opening bracket.</summary>
    static string Title(string s)
    {
        var sb = new StringBuilder(s.Length);
        var start = true;
        foreach (var c in s)
        {
            var sep = c is '-' or '(' or '{' or '[' or '<' || char.IsWhiteSpace(c);
            sb.Append(sep ? c : start ? char.ToUpperInvariant(c) : char.ToLowerInvariant(c));
            start = sep;
        }
        return sb.ToString();
    }

    static string HtmlEscape(string s) => s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;")
        .Replace("\"", "&#34;").Replace("'", "&#39;");

    /// <summary>jinja2's indent: lines after the first (and blank lines only when blank=true) get width spaces.</summary>
    static string Indent(string s, Args a)
    {
        var w = a.Get(0, "width");
        var pad = w switch { StringValue sw => sw.V, IntValue iw => new string(' ', (int)iw.V), null => "    ", _ => throw new ArgumentException("indent width must be an integer or a string") };
        var first = Flag(a, 1, "first", false);
        var blank = Flag(a, 2, "blank", false);
        var lines = Methods.SplitLines(s + "\n");
        string rv;
        if (blank) rv = string.Join("\n" + pad, lines);
        else
        {
            rv = lines[0];
            if (lines.Count > 1) rv += "\n" + string.Join("\n", lines.Skip(1).Select(l => l.Length > 0 ? pad + l : l));
        }
        return first ? pad + rv : rv;
    }

    static string ToJson(Value v, Args a)
    {
        int? indent = a.Get(0, "indent") switch
        {
            null or NoneValue => null,
            IntValue i => (int)i.V,
            var x => throw new ArgumentException($"tojson indent must be an integer, got {x.TypeName}"),
        };
        string? itemSep = null, keySep = null;
        if (a.Kwargs.TryGetValue("separators", out var sepV) && sepV is ListValue { Items.Count: 2 } seps)
        {
            itemSep = Format.Str(seps.Items[0]);
            keySep = Format.Str(seps.Items[1]);
        }
        var opts = new Format.JsonOptions(indent, a.Kwargs.TryGetValue("ensure_ascii", out var ea) && ea.Truthy, itemSep, keySep,
            a.Kwargs.TryGetValue("sort_keys", out var sk) && sk.Truthy);
        return Format.Json(v, opts);
    }

    static Value ToInt(Value v, Args a)
    {
        var dflt = a.Get(0, "default") ?? new IntValue(0);
        switch (v)
        {
            case IntValue: return v;
            case BoolValue b: return new IntValue(b.V ? 1 : 0);
            case FloatValue f: return new IntValue((long)Math.Truncate(f.V));
            case StringValue s:
                var t = s.V.Trim();
                var bas = a.Get(1, "base") is IntValue bv ? (int)bv.V : 10;
                try
                {
                    if (bas == 10 && long.TryParse(t.Replace("_", ""), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)) return new IntValue(l);
                    if (bas != 10) return new IntValue(Convert.ToInt64(t, bas));
                }
                catch (Exception e) when (e is FormatException or ArgumentException or OverflowException) { return dflt; }
                return double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? new IntValue((long)Math.Truncate(d)) : dflt;
            default: return dflt;
        }
    }

    static Value ToFloat(Value v, Args a)
    {
        var dflt = a.Get(0, "default") ?? new FloatValue(0.0);
        return v switch
        {
            FloatValue => v,
            IntValue i => new FloatValue(i.V),
            BoolValue b => new FloatValue(b.V ? 1 : 0),
            StringValue s when double.TryParse(s.V.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => new FloatValue(d),
            _ => dflt,
        };
    }

    static Value Round(Value v, Args a)
    {
        var x = Operators.AsDouble(v);
        var precision = a.Get(0, "precision") is IntValue p ? (int)p.V : 0;
        var method = a.Get(1, "method") is StringValue m ? m.V : "common";
        var scale = Math.Pow(10, precision);
        var r = method switch
        {
            "common" => Math.Round(x * scale, MidpointRounding.AwayFromZero) / scale,
            "ceil" => Math.Ceiling(x * scale) / scale,
            "floor" => Math.Floor(x * scale) / scale,
            _ => throw new ArgumentException("round method must be 'common', 'ceil' or 'floor'"),
        };
        return new FloatValue(r);
    }

    [GeneratedRegex(@"\w+")]
    private static partial Regex WordRegex();
}

using System.Globalization;
using System.Text;

namespace Toolkit.Core.Templates;

/// <summary>
/// Turning values into text: what <c>{{ x }}</c> prints, what <c>~</c> and <c>string</c> produce, <c>tojson</c>, and
/// Python's float repr. Where @huggingface/jinja and Python's jinja2 print differently, this follows @huggingface/jinja
/// for none (prints nothing), booleans (<c>true</c>/<c>false</c>) and lists/dicts (printed as JSON), and Python for
/// floats (<c>1e-05</c>, <c>2.0</c>).
/// </summary>
internal static class Format
{
    /// <summary>What <c>{{ v }}</c> prints: none and undefined print nothing.</summary>
    public static string Display(Value v) => v is NoneValue or UndefinedValue ? "" : Str(v);

    /// <summary>The string form used by <c>~</c>, <c>+</c> with a string, <c>join</c> and the <c>string</c> filter.</summary>
    public static string Str(Value v) => v switch
    {
        UndefinedValue => "",
        NoneValue => "None",
        BoolValue b => b.V ? "true" : "false",
        IntValue i => i.V.ToString(CultureInfo.InvariantCulture),
        FloatValue f => PyFloat(f.V, json: false),
        StringValue s => s.V,
        ListValue or DictValue or NamespaceValue => Json(v, new JsonOptions()),
        FunctionValue fn => $"<function {fn.Name}>",
        _ => v.TypeName,
    };

    /// <summary>Options of <c>tojson</c>, which transformers defines as <c>json.dumps(x, ensure_ascii=False, ...)</c>.</summary>
    public sealed record JsonOptions(int? Indent = null, bool EnsureAscii = false, string? ItemSeparator = null,
        string? KeySeparator = null, bool SortKeys = false);

    public static string Json(Value v, JsonOptions o)
    {
        var sb = new StringBuilder();
        WriteJson(sb, v, o, 0);
        return sb.ToString();
    }

    static void WriteJson(StringBuilder sb, Value v, JsonOptions o, int depth)
    {
        // Python json.dumps: (', ', ': ') without indent, (',', ': ') with one
        var itemSep = o.ItemSeparator ?? (o.Indent is null ? ", " : ",");
        var keySep = o.KeySeparator ?? ": ";
        switch (v)
        {
            case UndefinedValue or NoneValue: sb.Append("null"); return;
            case BoolValue b: sb.Append(b.V ? "true" : "false"); return;
            case IntValue i: sb.Append(i.V.ToString(CultureInfo.InvariantCulture)); return;
            case FloatValue f: sb.Append(PyFloat(f.V, json: true)); return;
            case StringValue s: JsonString(sb, s.V, o.EnsureAscii); return;
            case ListValue l:
                if (l.Items.Count == 0) { sb.Append("[]"); return; }
                sb.Append('[');
                for (var k = 0; k < l.Items.Count; k++)
                {
                    if (k > 0) sb.Append(itemSep);
                    NewLine(sb, o, depth + 1);
                    WriteJson(sb, l.Items[k], o, depth + 1);
                }
                NewLine(sb, o, depth);
                sb.Append(']');
                return;
            case DictValue or NamespaceValue:
                var items = v is DictValue d ? d.Items : ((NamespaceValue)v).Items;
                if (items.Count == 0) { sb.Append("{}"); return; }
                IEnumerable<KeyValuePair<string, Value>> pairs = o.SortKeys ? items.OrderBy(p => p.Key, StringComparer.Ordinal) : items;
                sb.Append('{');
                var first = true;
                foreach (var (key, val) in pairs)
                {
                    if (!first) sb.Append(itemSep);
                    first = false;
                    NewLine(sb, o, depth + 1);
                    JsonString(sb, key, o.EnsureAscii);
                    sb.Append(keySep);
                    WriteJson(sb, val, o, depth + 1);
                }
                NewLine(sb, o, depth);
                sb.Append('}');
                return;
            default:
                throw new InvalidOperationException($"Object of type {v.TypeName} is not JSON serializable");
        }
    }

    static void NewLine(StringBuilder sb, JsonOptions o, int depth)
    {
        if (o.Indent is not { } n) return;
        sb.Append('\n').Append(' ', n * depth);
    }

    static void JsonString(StringBuilder sb, string s, bool ensureAscii)
    {
        sb.Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default:
                    if (c < 0x20 || (ensureAscii && c > 0x7e && c != 0x7f)) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        sb.Append('"');
    }

    /// <summary>Python's <c>repr(float)</c> (and json.dumps's): shortest round-trip digits, exponent form below 1e-4 and from 1e16.</summary>
    public static string PyFloat(double d, bool json)
    {
        if (double.IsNaN(d)) return json ? "NaN" : "nan";
        if (double.IsInfinity(d)) return (d < 0 ? "-" : "") + (json ? "Infinity" : "inf");
        var r = d.ToString("R", CultureInfo.InvariantCulture);
        var neg = r.StartsWith('-');
        if (neg) r = r[1..];
        int exp = 0;
        var ei = r.IndexOf('E');
        if (ei >= 0) { exp = int.Parse(r[(ei + 1)..], CultureInfo.InvariantCulture); r = r[..ei]; }
        var dot = r.IndexOf('.');
        var intDigits = dot < 0 ? r.Length : dot;
        var digits = r.Replace(".", "");
        // value = 0.digits * 10^(intDigits + exp); normalize away leading zeros
        var x = intDigits + exp - 1;
        var lead = 0;
        while (lead < digits.Length - 1 && digits[lead] == '0') { lead++; x--; }
        digits = digits[lead..].TrimEnd('0');
        if (digits.Length == 0) return (neg ? "-" : "") + "0.0";
        string body;
        if (x >= -4 && x < 16)
        {
            if (x >= 0)
            {
                var ip = digits.Length > x + 1 ? digits[..(x + 1)] : digits.PadRight(x + 1, '0');
                var fp = digits.Length > x + 1 ? digits[(x + 1)..] : "0";
                body = ip + "." + fp;
            }
            else body = "0." + new string('0', -x - 1) + digits;
        }
        else
        {
            body = digits[..1] + (digits.Length > 1 ? "." + digits[1..] : "") + "e" + (x < 0 ? "-" : "+") +
                   Math.Abs(x).ToString("00", CultureInfo.InvariantCulture);
        }
        return (neg ? "-" : "") + body;
    }
}

using System.Globalization;
using System.Text;

namespace Toolkit.Core.Templates;

/// <summary>
/// Functions every template sees: <c>range</c>, <c>namespace</c>, <c>dict</c>, <c>raise_exception</c> (transformers'
/// way for a template to refuse a conversation) and <c>strftime_now</c> (transformers' clock, here injectable).
/// </summary>
internal static class Globals
{
    public static Scope Create()
    {
        var g = new Scope(null);
        g.Set("range", new FunctionValue("range", (a, _) => Range(a)));
        g.Set("namespace", new FunctionValue("namespace", (a, _) => Namespace(a)));
        g.Set("dict", new FunctionValue("dict", (a, _) =>
        {
            var d = new DictValue();
            if (a.Positional.Count > 0 && a.Positional[0] is DictValue src)
                foreach (var (k, v) in src.Items) d.Items[k] = v;
            foreach (var (k, v) in a.Kwargs) d.Items[k] = v;
            return d;
        }));
        g.Set("raise_exception", new FunctionValue("raise_exception", (a, _) =>
        {
            var msg = a.Positional.Count > 0 ? Format.Str(a.Positional[0]) : "raise_exception() called";
            throw new TemplateException(msg, a.Pos, raisedMessage: msg);
        }));
        g.Set("strftime_now", new FunctionValue("strftime_now", (a, it) =>
            new StringValue(Strftime(it.Clock(), a.Positional.Count > 0 ? Format.Str(a.Positional[0]) : ""))));
        return g;
    }

    static ListValue Range(Args a)
    {
        long Arg(int i) => a.Positional[i] is IntValue n ? n.V : throw new ArgumentException($"range() arguments must be integers, got {a.Positional[i].TypeName}");
        long start = 0, stop, step = 1;
        switch (a.Positional.Count)
        {
            case 1: stop = Arg(0); break;
            case 2: start = Arg(0); stop = Arg(1); break;
            case 3: start = Arg(0); stop = Arg(1); step = Arg(2); break;
            default: throw new ArgumentException($"range expected 1 to 3 arguments, got {a.Positional.Count}");
        }
        if (step == 0) throw new ArgumentException("range() arg 3 must not be zero");
        var r = new List<Value>();
        for (var i = start; step > 0 ? i < stop : i > stop; i += step)
        {
            r.Add(new IntValue(i));
            if (r.Count > 1_000_000) throw new ArgumentException("range() too large for a chat template");
        }
        return new ListValue(r);
    }

    static NamespaceValue Namespace(Args a)
    {
        var ns = new NamespaceValue();
        if (a.Positional.Count > 1) throw new ArgumentException($"namespace expected at most 1 positional argument, got {a.Positional.Count}");
        if (a.Positional.Count == 1)
        {
            if (a.Positional[0] is not DictValue d) throw new ArgumentException($"namespace() positional argument must be a dict, got {a.Positional[0].TypeName}");
            foreach (var (k, v) in d.Items) ns.Items[k] = v;
        }
        foreach (var (k, v) in a.Kwargs) ns.Items[k] = v;
        return ns;
    }

    static readonly string[] Days = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
    static readonly string[] Months = ["January", "February", "March", "April", "May", "June", "July", "August",
        "September", "October", "November", "December"];

    /// <summary>Python's <c>strftime</c> in the C locale for the common directives; others are kept as written.</summary>
    public static string Strftime(DateTime t, string fmt)
    {
        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        for (var i = 0; i < fmt.Length; i++)
        {
            if (fmt[i] != '%' || i + 1 >= fmt.Length) { sb.Append(fmt[i]); continue; }
            var d = fmt[++i];
            sb.Append(d switch
            {
                'Y' => t.Year.ToString(inv),
                'y' => (t.Year % 100).ToString("00", inv),
                'm' => t.Month.ToString("00", inv),
                'd' => t.Day.ToString("00", inv),
                'e' => t.Day.ToString(inv).PadLeft(2),
                'H' => t.Hour.ToString("00", inv),
                'I' => ((t.Hour + 11) % 12 + 1).ToString("00", inv),
                'M' => t.Minute.ToString("00", inv),
                'S' => t.Second.ToString("00", inv),
                'p' => t.Hour < 12 ? "AM" : "PM",
                'j' => t.DayOfYear.ToString("000", inv),
                'b' => Months[t.Month - 1][..3],
                'B' => Months[t.Month - 1],
                'a' => Days[(int)t.DayOfWeek][..3],
                'A' => Days[(int)t.DayOfWeek],
                '%' => "%",
                _ => "%" + d,
            });
        }
        return sb.ToString();
    }
}

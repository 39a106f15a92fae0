using System.Text;

namespace Toolkit.Core.Templates;

/// <summary>
/// Python methods templates call on values: <c>str.strip/split/startswith/...</c> and <c>dict.get/items/keys/values</c>.
/// List and dict mutation (<c>append</c>, <c>update</c>, <c>pop</c>) is absent on purpose: transformers renders chat
/// templates in jinja2's ImmutableSandboxedEnvironment, which refuses them.
/// </summary>
internal static class Methods
{
    /// <summary>The method <paramref name="name"/> bound to <paramref name="target"/>, or null if it has none by that name.</summary>
    public static FunctionValue? Bind(Value target, string name) => target switch
    {
        StringValue s => StringMethod(s.V, name),
        DictValue d => DictMethod(d, name),
        _ => null,
    };

    static FunctionValue Fn(string name, Func<Args, Value> f) => new(name, (a, _) => f(a));

    static string? OptString(Args a, int i, string name) => a.Get(i, name) switch
    {
        null or NoneValue => null,
        StringValue s => s.V,
        var v => throw new ArgumentException($"{name} must be a string or None, not {v.TypeName}"),
    };

    static string ReqString(Args a, int i, string name, string method) => a.Get(i, name) switch
    {
        StringValue s => s.V,
        null => throw new ArgumentException($"{method}() missing required argument '{name}'"),
        var v => throw new ArgumentException($"{method}() argument '{name}' must be a string, not {v.TypeName}"),
    };

    static long OptLong(Args a, int i, string name, long dflt) => a.Get(i, name) switch
    {
        null or NoneValue => dflt,
        IntValue n => n.V,
        var v => throw new ArgumentException($"{name} must be an integer, not {v.TypeName}"),
    };

    static FunctionValue? StringMethod(string s, string name) => name switch
    {
        "strip" => Fn(name, a => new StringValue(Strip(s, OptString(a, 0, "chars"), true, true))),
        "lstrip" => Fn(name, a => new StringValue(Strip(s, OptString(a, 0, "chars"), true, false))),
        "rstrip" => Fn(name, a => new StringValue(Strip(s, OptString(a, 0, "chars"), false, true))),
        "upper" => Fn(name, _ => new StringValue(s.ToUpperInvariant())),
        "lower" => Fn(name, _ => new StringValue(s.ToLowerInvariant())),
        "title" => Fn(name, _ => new StringValue(PyTitle(s))),
        "capitalize" => Fn(name, _ => new StringValue(Capitalize(s))),
        "split" => Fn(name, a => Split(s, OptString(a, 0, "sep"), OptLong(a, 1, "maxsplit", -1))),
        "rsplit" => Fn(name, a => RSplit(s, OptString(a, 0, "sep"), OptLong(a, 1, "maxsplit", -1))),
        "splitlines" => Fn(name, _ => new ListValue([.. SplitLines(s).Select(x => (Value)new StringValue(x))])),
        "startswith" => Fn(name, a => Value.Bool(Affixes(a, name).Any(p => s.StartsWith(p, StringComparison.Ordinal)))),
        "endswith" => Fn(name, a => Value.Bool(Affixes(a, name).Any(p => s.EndsWith(p, StringComparison.Ordinal)))),
        "replace" => Fn(name, a => new StringValue(Replace(s, ReqString(a, 0, "old", name), ReqString(a, 1, "new", name), OptLong(a, 2, "count", -1)))),
        "find" => Fn(name, a => new IntValue(s.IndexOf(ReqString(a, 0, "sub", name), StringComparison.Ordinal))),
        "count" => Fn(name, a => new IntValue(Count(s, ReqString(a, 0, "sub", name)))),
        "join" => Fn(name, a => new StringValue(string.Join(s, Interpreter.Iterate(a.Get(0, "iterable") ?? Value.Undefined()).Select(Format.Str)))),
        "format" => Fn(name, a => new StringValue(PyFormat(s, a))),
        "isdigit" => Fn(name, _ => Value.Bool(s.Length > 0 && s.All(char.IsDigit))),
        "isalpha" => Fn(name, _ => Value.Bool(s.Length > 0 && s.All(char.IsLetter))),
        "isalnum" => Fn(name, _ => Value.Bool(s.Length > 0 && s.All(char.IsLetterOrDigit))),
        "isspace" => Fn(name, _ => Value.Bool(s.Length > 0 && s.All(TemplateSource.IsSpace))),
        "islower" => Fn(name, _ => Value.Bool(s.Any(char.IsLetter) && s == s.ToLowerInvariant())),
        "isupper" => Fn(name, _ => Value.Bool(s.Any(char.IsLetter) && s == s.ToUpperInvariant())),
        _ => null,
    };

    static FunctionValue? DictMethod(DictValue d, string name) => name switch
    {
        "get" => Fn(name, a =>
        {
            var key = a.Get(0, "key") ?? throw new ArgumentException("get() missing required argument 'key'");
            return key is StringValue k && d.Items.TryGetValue(k.V, out var v) ? v : a.Get(1, "default") ?? Value.None;
        }),
        "items" => Fn(name, _ => Items(d)),
        "keys" => Fn(name, _ => new ListValue([.. d.Items.Keys.Select(k => (Value)new StringValue(k))])),
        "values" => Fn(name, _ => new ListValue([.. d.Items.Values])),
        _ => null,
    };

    public static ListValue Items(DictValue d) =>
        new([.. d.Items.Select(p => (Value)new ListValue([new StringValue(p.Key), p.Value], isTuple: true))]);

    static IEnumerable<string> Affixes(Args a, string method) => a.Get(0, "prefix") switch
    {
        StringValue s => [s.V],
        ListValue l => l.Items.Select(x => x is StringValue t ? t.V : throw new ArgumentException($"{method}() tuple items must be strings")),
        null => throw new ArgumentException($"{method}() takes at least 1 argument"),
        var v => throw new ArgumentException($"{method}() argument must be a string or a tuple of strings, not {v.TypeName}"),
    };

    /// <summary>Python's strip family: whitespace when <paramref name="chars"/> is null, else any of its characters.</summary>
    public static string Strip(string s, string? chars, bool left, bool right)
    {
        Func<char, bool> drop = chars is null ? TemplateSource.IsSpace : chars.Contains;
        int a = 0, b = s.Length;
        if (left) while (a < b && drop(s[a])) a++;
        if (right) while (b > a && drop(s[b - 1])) b--;
        return s[a..b];
    }

    public static string PyTitle(string s)
    {
        var sb = new StringBuilder(s.Length);
        var prevCased = false;
        foreach (var c in s)
        {
            sb.Append(prevCased ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c));
            prevCased = char.IsLetter(c);
        }
        return sb.ToString();
    }

    public static string Capitalize(string s) =>
        s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant();

    static ListValue Split(string s, string? sep, long maxsplit)
    {
        var parts = new List<string>();
        if (sep is null)
        {
            var i = 0;
            while (true)
            {
                while (i < s.Length && TemplateSource.IsSpace(s[i])) i++;
                if (i >= s.Length) break;
                if (maxsplit >= 0 && parts.Count >= maxsplit) { parts.Add(Strip(s[i..], null, false, true)); break; }
                var j = i;
                while (j < s.Length && !TemplateSource.IsSpace(s[j])) j++;
                parts.Add(s[i..j]);
                i = j;
            }
        }
        else
        {
            if (sep.Length == 0) throw new ArgumentException("empty separator");
            var i = 0;
            while (true)
            {
                var j = maxsplit >= 0 && parts.Count >= maxsplit ? -1 : s.IndexOf(sep, i, StringComparison.Ordinal);
                if (j < 0) { parts.Add(s[i..]); break; }
                parts.Add(s[i..j]);
                i = j + sep.Length;
            }
        }
        return new ListValue([.. parts.Select(p => (Value)new StringValue(p))]);
    }

    static ListValue RSplit(string s, string? sep, long maxsplit)
    {
        if (sep is null || maxsplit < 0) return Split(s, sep, maxsplit);
        if (sep.Length == 0) throw new ArgumentException("empty separator");
        var parts = new List<string>();
        var end = s.Length;
        while (parts.Count < maxsplit)
        {
            var j = s.LastIndexOf(sep, end - 1 < 0 ? 0 : end - 1, StringComparison.Ordinal);
            if (j < 0 || j + sep.Length > end) break;
            parts.Insert(0, s[(j + sep.Length)..end]);
            end = j;
        }
        parts.Insert(0, s[..end]);
        return new ListValue([.. parts.Select(p => (Value)new StringValue(p))]);
    }

    public static List<string> SplitLines(string s)
    {
        var lines = new List<string>();
        var i = 0;
        while (i < s.Length)
        {
            var j = i;
            while (j < s.Length && s[j] is not ('\n' or '\r')) j++;
            lines.Add(s[i..j]);
            if (j < s.Length && s[j] == '\r' && j + 1 < s.Length && s[j + 1] == '\n') j++;
            i = j + 1;
        }
        return lines;
    }

    /// <summary>Stops a replace that would outgrow <see cref="TemplateLimits.MaxOutputChars"/> (of the default limits) before it fills the memory.</summary>
    static void CheckGrowth(StringBuilder sb)
    {
        if (sb.Length > TemplateLimits.Default.MaxOutputChars)
            throw new InvalidOperationException(
                $"replace() would make a string longer than {TemplateLimits.Default.MaxOutputChars:N0} chars; limit: TemplateLimits.MaxOutputChars");
    }

    /// <summary>Python's str.replace; a negative count replaces all.</summary>
    public static string Replace(string s, string old, string @new, long count)
    {
        if (count == 0) return s;
        var sb = new StringBuilder();
        var done = 0L;
        if (old.Length == 0)
        {
            for (var k = 0; k <= s.Length; k++)
            {
                if (count < 0 || done < count) { sb.Append(@new); done++; }
                if (k < s.Length) sb.Append(s[k]);
                CheckGrowth(sb);
            }
            return sb.ToString();
        }
        var i = 0;
        while (true)
        {
            var j = count >= 0 && done >= count ? -1 : s.IndexOf(old, i, StringComparison.Ordinal);
            if (j < 0) { sb.Append(s, i, s.Length - i); break; }
            sb.Append(s, i, j - i).Append(@new);
            CheckGrowth(sb);
            i = j + old.Length;
            done++;
        }
        return sb.ToString();
    }

    static long Count(string s, string sub)
    {
        if (sub.Length == 0) return s.Length + 1;
        long n = 0;
        for (var i = s.IndexOf(sub, StringComparison.Ordinal); i >= 0; i = s.IndexOf(sub, i + sub.Length, StringComparison.Ordinal)) n++;
        return n;
    }

    /// <summary>Python's str.format for plain fields: <c>{}</c>, <c>{0}</c>, <c>{name}</c>, <c>{{</c>, <c>}}</c> (format specs are ignored).</summary>
    static string PyFormat(string s, Args a)
    {
        var sb = new StringBuilder();
        var auto = 0;
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (c == '{' && i + 1 < s.Length && s[i + 1] == '{') { sb.Append('{'); i++; continue; }
            if (c == '}' && i + 1 < s.Length && s[i + 1] == '}') { sb.Append('}'); i++; continue; }
            if (c != '{') { sb.Append(c); continue; }
            var close = s.IndexOf('}', i);
            if (close < 0) throw new FormatException("single '{' encountered in format string");
            var field = s[(i + 1)..close];
            var colon = field.IndexOf(':');
            if (colon >= 0) field = field[..colon];
            Value v;
            if (field.Length == 0) v = auto < a.Positional.Count ? a.Positional[auto++] : throw new FormatException("not enough arguments for format string");
            else if (int.TryParse(field, out var n)) v = n < a.Positional.Count ? a.Positional[n] : throw new FormatException($"format index {n} out of range");
            else v = a.Kwargs.TryGetValue(field, out var kv) ? kv : throw new FormatException($"missing format argument '{field}'");
            sb.Append(Format.Str(v));
            i = close;
        }
        return sb.ToString();
    }
}

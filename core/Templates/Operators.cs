using System.Text;

namespace Toolkit.Core.Templates;

/// <summary>Binary and unary operators, Python's equality and ordering, and <c>in</c>.</summary>
internal static class Operators
{
    public static Value Binary(string op, Value l, Value r)
    {
        switch (op)
        {
            case "==": return Value.Bool(Equal(l, r));
            case "!=": return Value.Bool(!Equal(l, r));
            case "<": return Value.Bool(Compare(l, r) < 0);
            case ">": return Value.Bool(Compare(l, r) > 0);
            case "<=": return Value.Bool(Compare(l, r) <= 0);
            case ">=": return Value.Bool(Compare(l, r) >= 0);
            case "in": return Value.Bool(Contains(r, l));
            case "not in": return Value.Bool(!Contains(r, l));
            case "~": return new StringValue(Format.Str(l) + Format.Str(r));
        }
        if (l is UndefinedValue || r is UndefinedValue)
        {
            var u = (UndefinedValue)(l is UndefinedValue ? l : r);
            throw new InvalidOperationException($"'{u.Name ?? "value"}' is undefined, so it cannot be used with '{op}'");
        }
        if (l is NoneValue || r is NoneValue)
            throw new InvalidOperationException($"unsupported operand types for {op}: '{l.TypeName}' and '{r.TypeName}'");

        if (op == "+")
        {
            if (l is ListValue la && r is ListValue lb) return new ListValue([.. la.Items, .. lb.Items]);
            // lenient like @huggingface/jinja: a string plus a scalar concatenates
            if ((l is StringValue && r is not (ListValue or DictValue)) || (r is StringValue && l is not (ListValue or DictValue)))
                return new StringValue(Format.Str(l) + Format.Str(r));
        }
        if (op == "*")
        {
            if (l is StringValue s && r is IntValue n) return new StringValue(Repeat(s.V, n.V));
            if (l is ListValue list && r is IntValue m) return new ListValue([.. Enumerable.Repeat(list.Items, (int)Math.Max(0, m.V)).SelectMany(x => x)]);
        }
        if (IsNumber(l) && IsNumber(r)) return Arithmetic(op, l, r);
        throw new InvalidOperationException($"unsupported operand types for {op}: '{l.TypeName}' and '{r.TypeName}'");
    }

    static string Repeat(string s, long n)
    {
        var sb = new StringBuilder();
        for (var k = 0; k < n; k++) sb.Append(s);
        return sb.ToString();
    }

    static bool IsNumber(Value v) => v is IntValue or FloatValue or BoolValue;
    static bool IsInt(Value v) => v is IntValue or BoolValue;
    public static double AsDouble(Value v) => v switch
    {
        IntValue i => i.V,
        FloatValue f => f.V,
        BoolValue b => b.V ? 1 : 0,
        _ => throw new InvalidOperationException($"expected a number, got {v.TypeName}"),
    };
    static long AsLong(Value v) => v switch { IntValue i => i.V, BoolValue b => b.V ? 1 : 0, _ => (long)AsDouble(v) };

    static Value Arithmetic(string op, Value l, Value r)
    {
        var ints = IsInt(l) && IsInt(r);
        switch (op)
        {
            case "+": return ints ? new IntValue(AsLong(l) + AsLong(r)) : new FloatValue(AsDouble(l) + AsDouble(r));
            case "-": return ints ? new IntValue(AsLong(l) - AsLong(r)) : new FloatValue(AsDouble(l) - AsDouble(r));
            case "*": return ints ? new IntValue(AsLong(l) * AsLong(r)) : new FloatValue(AsDouble(l) * AsDouble(r));
            case "/":
                if (AsDouble(r) == 0) throw new DivideByZeroException("division by zero");
                return new FloatValue(AsDouble(l) / AsDouble(r));
            case "//":
                if (AsDouble(r) == 0) throw new DivideByZeroException("integer division or modulo by zero");
                if (ints)
                {
                    long a = AsLong(l), b = AsLong(r), q = a / b;
                    if ((a % b != 0) && ((a < 0) != (b < 0))) q--;
                    return new IntValue(q);
                }
                return new FloatValue(Math.Floor(AsDouble(l) / AsDouble(r)));
            case "%":
                if (AsDouble(r) == 0) throw new DivideByZeroException("integer division or modulo by zero");
                if (ints)
                {
                    long a = AsLong(l), b = AsLong(r), m = a % b;
                    if (m != 0 && ((m < 0) != (b < 0))) m += b;
                    return new IntValue(m);
                }
                var x = AsDouble(l);
                var y = AsDouble(r);
                var fm = x % y;
                if (fm != 0 && ((fm < 0) != (y < 0))) fm += y;
                return new FloatValue(fm);
            case "**":
                if (ints && AsLong(r) >= 0)
                {
                    long acc = 1, b = AsLong(l);
                    for (var k = 0L; k < AsLong(r); k++) acc = checked(acc * b);
                    return new IntValue(acc);
                }
                return new FloatValue(Math.Pow(AsDouble(l), AsDouble(r)));
        }
        throw new InvalidOperationException($"unknown operator '{op}'");
    }

    public static Value Unary(string op, Value v) => op switch
    {
        "not" => Value.Bool(!v.Truthy),
        "-" when v is IntValue or BoolValue => new IntValue(-AsLong(v)),
        "-" when v is FloatValue f => new FloatValue(-f.V),
        "+" when v is IntValue or BoolValue => new IntValue(AsLong(v)),
        "+" when v is FloatValue => v,
        _ => throw new InvalidOperationException($"bad operand type for unary {op}: '{v.TypeName}'"),
    };

    /// <summary>Python's <c>==</c>: numbers across int/float/bool, lists item by item, dicts key by key.</summary>
    public static bool Equal(Value a, Value b)
    {
        if (ReferenceEquals(a, b)) return true;
        switch (a)
        {
            case UndefinedValue: return b is UndefinedValue;
            case NoneValue: return b is NoneValue;
            case IntValue or FloatValue or BoolValue:
                return IsNumber(b) && (IsInt(a) && IsInt(b) ? AsLong(a) == AsLong(b) : AsDouble(a) == AsDouble(b));
            case StringValue s: return b is StringValue t && s.V == t.V;
            case ListValue l:
                return b is ListValue m && l.Items.Count == m.Items.Count && l.Items.Zip(m.Items).All(p => Equal(p.First, p.Second));
            case DictValue d:
                return b is DictValue e && d.Items.Count == e.Items.Count &&
                       d.Items.All(p => e.Items.TryGetValue(p.Key, out var q) && Equal(p.Value, q));
            default: return false;
        }
    }

    /// <summary>Python's ordering: numbers, strings (by code unit), lists lexicographically; anything else is an error.</summary>
    public static int Compare(Value a, Value b)
    {
        if (IsNumber(a) && IsNumber(b)) return AsDouble(a).CompareTo(AsDouble(b));
        if (a is StringValue s && b is StringValue t) return Math.Sign(string.CompareOrdinal(s.V, t.V));
        if (a is ListValue l && b is ListValue m)
        {
            for (var k = 0; k < Math.Min(l.Items.Count, m.Items.Count); k++)
            {
                var c = Compare(l.Items[k], m.Items[k]);
                if (c != 0) return c;
            }
            return l.Items.Count.CompareTo(m.Items.Count);
        }
        throw new InvalidOperationException($"'<' not supported between instances of '{a.TypeName}' and '{b.TypeName}'");
    }

    /// <summary><c>item in container</c>: list membership, substring, dict key; nothing is in undefined.</summary>
    public static bool Contains(Value container, Value item) => container switch
    {
        ListValue l => l.Items.Any(x => Equal(x, item)),
        StringValue s => item is StringValue t ? s.V.Contains(t.V, StringComparison.Ordinal)
            : throw new InvalidOperationException($"'in <string>' requires string as left operand, not {item.TypeName}"),
        DictValue d => item is StringValue k && d.Items.ContainsKey(k.V),
        NamespaceValue ns => item is StringValue k2 && ns.Items.ContainsKey(k2.V),
        UndefinedValue => false,
        _ => throw new InvalidOperationException($"argument of type '{container.TypeName}' is not iterable"),
    };
}

namespace Toolkit.Core.Templates;

/// <summary>The <c>is</c> tests: <c>x is defined</c>, <c>x is not none</c>, <c>n is divisibleby(3)</c>, ...</summary>
internal static class Tests
{
    public static readonly HashSet<string> Names =
    [
        "defined", "undefined", "none", "string", "number", "integer", "float", "mapping", "iterable", "sequence",
        "boolean", "true", "false", "odd", "even", "divisibleby", "equalto", "eq", "==", "ne", "!=", "lt", "<", "le", "<=",
        "gt", ">", "ge", ">=", "in", "sameas", "callable", "lower", "upper",
    ];

    public static void CheckKnown(string name, Pos pos)
    {
        if (!Names.Contains(name))
            throw new TemplateException($"unknown test '{name}'; supported tests: {string.Join(", ", Names.Where(n => char.IsLetter(n[0])))}", pos);
    }

    public static bool Apply(string name, Value v, List<Value> args)
    {
        Value Arg()
        {
            if (args.Count != 1) throw new ArgumentException($"test '{name}' takes exactly 1 argument, got {args.Count}");
            return args[0];
        }
        return name switch
        {
            "defined" => v is not UndefinedValue,
            "undefined" => v is UndefinedValue,
            "none" => v is NoneValue,
            "string" => v is StringValue,
            "number" => v is IntValue or FloatValue or BoolValue,
            "integer" => v is IntValue,
            "float" => v is FloatValue,
            "boolean" => v is BoolValue,
            "true" => v is BoolValue { V: true },
            "false" => v is BoolValue { V: false },
            "mapping" => v is DictValue,
            "iterable" => v is ListValue or DictValue or StringValue,
            "sequence" => v is ListValue or DictValue or StringValue,
            "callable" => v is FunctionValue,
            "lower" => v is StringValue s && s.V == s.V.ToLowerInvariant(),
            "upper" => v is StringValue u && u.V == u.V.ToUpperInvariant(),
            "odd" => v is IntValue o ? o.V % 2 != 0 : throw new ArgumentException($"test 'odd' needs an integer, got {v.TypeName}"),
            "even" => v is IntValue e ? e.V % 2 == 0 : throw new ArgumentException($"test 'even' needs an integer, got {v.TypeName}"),
            "divisibleby" => Operators.Binary("%", v, Arg()) is var m && Operators.Equal(m, new IntValue(0)),
            "equalto" or "eq" or "==" => Operators.Equal(v, Arg()),
            "ne" or "!=" => !Operators.Equal(v, Arg()),
            "lt" or "<" => Operators.Compare(v, Arg()) < 0,
            "le" or "<=" => Operators.Compare(v, Arg()) <= 0,
            "gt" or ">" => Operators.Compare(v, Arg()) > 0,
            "ge" or ">=" => Operators.Compare(v, Arg()) >= 0,
            "in" => Operators.Contains(Arg(), v),
            "sameas" => ReferenceEquals(v, Arg()) || (v is NoneValue && args[0] is NoneValue) || (v is BoolValue a && args[0] is BoolValue b && a.V == b.V),
            _ => throw new ArgumentException($"unknown test '{name}'"),
        };
    }
}

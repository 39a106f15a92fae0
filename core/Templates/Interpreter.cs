using System.Runtime.CompilerServices;
using System.Text;

namespace Toolkit.Core.Templates;

/// <summary>
/// Walks the syntax tree and writes the rendering. Semantics follow jinja2 as transformers configures it
/// (ImmutableSandboxedEnvironment: no list/dict mutation), with the printing rules of <see cref="Format"/>.
/// Errors raised by filters, tests and methods are re-thrown as <see cref="TemplateException"/> at the node's position.
/// Every statement and expression passes <see cref="Enter"/>, which enforces <see cref="TemplateLimits"/>.
/// </summary>
internal sealed class Interpreter(Func<DateTime> clock, TemplateLimits? limits = null)
{
    enum Flow { Normal, Break, Continue }

    readonly TemplateLimits limits = limits ?? TemplateLimits.Default;
    int depth;
    long steps;

    public Func<DateTime> Clock { get; } = clock;

    /// <summary>One level deeper and one step more; throws at <paramref name="pos"/> when a limit or the stack runs out.</summary>
    void Enter(Pos pos)
    {
        if (++depth > limits.MaxDepth || !RuntimeHelpers.TryEnsureSufficientExecutionStack())
            throw new TemplateException(
                $"the template nests deeper than {limits.MaxDepth} levels (a macro that calls itself without end?); limit: TemplateLimits.MaxDepth", pos);
        Step(pos);
    }

    void Step(Pos pos)
    {
        if (++steps > limits.MaxSteps)
            throw new TemplateException(
                $"the template used more than {limits.MaxSteps:N0} steps (a loop without end?); limit: TemplateLimits.MaxSteps", pos);
    }

    /// <summary>Throws when a string or list of <paramref name="size"/> chars / items would break the output limit.</summary>
    void CheckSize(long size, Pos pos)
    {
        if (size > limits.MaxOutputChars)
            throw new TemplateException(
                $"a string or list made by the template would be longer than {limits.MaxOutputChars:N0} (it would be {size:N0}); limit: TemplateLimits.MaxOutputChars", pos);
    }

    Value Checked(Value v, Pos pos)
    {
        switch (v)
        {
            case StringValue s: CheckSize(s.V.Length, pos); break;
            case ListValue l: CheckSize(l.Items.Count, pos); break;
        }
        return v;
    }

    public string Run(List<Node> body, Scope scope)
    {
        var sb = new StringBuilder();
        if (RenderBlock(body, scope, sb) != Flow.Normal)
            throw new TemplateException("'break' or 'continue' outside a for-loop", 0, 0);
        return sb.ToString();
    }

    Flow RenderBlock(List<Node> nodes, Scope scope, StringBuilder sb)
    {
        foreach (var n in nodes)
        {
            var f = Render(n, scope, sb);
            if (f != Flow.Normal) return f;
        }
        return Flow.Normal;
    }

    Flow Render(Node node, Scope scope, StringBuilder sb)
    {
        Enter(node.Pos);
        try
        {
            var flow = RenderNode(node, scope, sb);
            CheckSize(sb.Length, node.Pos);
            return flow;
        }
        finally { depth--; }
    }

    Flow RenderNode(Node node, Scope scope, StringBuilder sb)
    {
        switch (node)
        {
            case TextNode t: sb.Append(t.Text); return Flow.Normal;
            case OutputNode o: sb.Append(Format.Display(Eval(o.Value, scope))); return Flow.Normal;
            case IfNode f: return RenderBlock(Eval(f.Test, scope).Truthy ? f.Body : f.Else, scope, sb);
            case ForNode f: RenderFor(f, scope, sb); return Flow.Normal;
            case SetNode s:
            {
                Value v;
                if (s.Value is not null) v = Eval(s.Value, scope);
                else
                {
                    var inner = new StringBuilder();
                    RenderBlock(s.Body!, scope, inner);
                    v = new StringValue(inner.ToString());
                }
                Assign(s.Target, v, scope);
                return Flow.Normal;
            }
            case MacroNode m: scope.Set(m.Name, MakeMacro(m.Name, m.Params, m.Body, scope)); return Flow.Normal;
            case CallBlockNode c:
            {
                var caller = MakeMacro("caller", c.CallerParams, c.Body, scope);
                var callScope = new Scope(scope);
                callScope.Set("caller", caller);
                sb.Append(Format.Display(Eval(c.Call, callScope)));
                return Flow.Normal;
            }
            case FilterBlockNode fb:
            {
                var inner = new StringBuilder();
                RenderBlock(fb.Body, scope, inner);
                var args = EvalArgs(fb.Args, fb.Kwargs, fb.Pos, scope);
                sb.Append(Format.Display(Guard(fb.Pos, () => Filters.Apply(this, fb.Filter, new StringValue(inner.ToString()), args))));
                return Flow.Normal;
            }
            case BreakNode: return Flow.Break;
            case ContinueNode: return Flow.Continue;
            default: throw new TemplateException($"cannot render a {node.GetType().Name}", node.Pos);
        }
    }

    void RenderFor(ForNode f, Scope scope, StringBuilder sb)
    {
        var iterable = Eval(f.Iterable, scope);
        var all = Guard(f.Iterable.Pos, () => Iterate(iterable));
        var loopScope = new Scope(scope);

        // 1) the inline `if` filters items before loop.* is computed
        var items = new List<Value>();
        foreach (var item in all)
        {
            Step(f.Pos);
            if (f.Condition is not null)
            {
                var probe = new Scope(scope);
                Bind(f, item, probe);
                if (!Eval(f.Condition, probe).Truthy) continue;
            }
            items.Add(item);
        }

        // 2) the body, with loop.index and friends
        for (var k = 0; k < items.Count; k++)
        {
            Step(f.Pos);
            var loop = new DictValue();
            loop.Items["index"] = new IntValue(k + 1);
            loop.Items["index0"] = new IntValue(k);
            loop.Items["revindex"] = new IntValue(items.Count - k);
            loop.Items["revindex0"] = new IntValue(items.Count - k - 1);
            loop.Items["first"] = Value.Bool(k == 0);
            loop.Items["last"] = Value.Bool(k == items.Count - 1);
            loop.Items["length"] = new IntValue(items.Count);
            loop.Items["depth"] = new IntValue(1);
            loop.Items["depth0"] = new IntValue(0);
            loop.Items["previtem"] = k > 0 ? items[k - 1] : Value.Undefined("loop.previtem");
            loop.Items["nextitem"] = k < items.Count - 1 ? items[k + 1] : Value.Undefined("loop.nextitem");
            var index = k;
            loop.Items["cycle"] = new FunctionValue("loop.cycle", (a, _) =>
                a.Positional.Count == 0 ? throw new InvalidOperationException("loop.cycle() needs at least one value") : a.Positional[index % a.Positional.Count]);
            loopScope.Set("loop", loop);
            Bind(f, items[k], loopScope);
            if (RenderBlock(f.Body, loopScope, sb) == Flow.Break) break;
        }
        if (items.Count == 0) RenderBlock(f.Else, loopScope, sb);
    }

    void Bind(ForNode f, Value item, Scope scope)
    {
        if (!f.Unpack)
        {
            scope.Set(f.Targets[0], item);
            return;
        }
        var parts = item is ListValue l ? l.Items
            : throw new TemplateException($"cannot unpack a {item.TypeName} into {string.Join(", ", f.Targets)}", f.Pos);
        if (parts.Count != f.Targets.Count)
            throw new TemplateException($"expected {f.Targets.Count} values to unpack, got {parts.Count}", f.Pos);
        for (var k = 0; k < parts.Count; k++) scope.Set(f.Targets[k], parts[k]);
    }

    /// <summary>The items a for-loop visits: a list's items, a dict's keys, a string's characters; undefined is empty.</summary>
    public static List<Value> Iterate(Value v) => v switch
    {
        ListValue l => [.. l.Items],
        DictValue d => [.. d.Items.Keys.Select(k => (Value)new StringValue(k))],
        StringValue s => [.. s.V.Select(c => (Value)new StringValue(c.ToString()))],
        UndefinedValue => [],
        _ => throw new InvalidOperationException($"'{v.TypeName}' object is not iterable"),
    };

    void Assign(Expr target, Value v, Scope scope)
    {
        switch (target)
        {
            case NameExpr n: scope.Set(n.Name, v); return;
            case AttrExpr a:
                var obj = Eval(a.Target, scope);
                if (obj is not NamespaceValue ns)
                    throw new TemplateException($"cannot set attribute '{a.Name}' on a {obj.TypeName}; only namespace() objects can be changed", a.Pos);
                ns.Items[a.Name] = v;
                return;
            case ListExpr { IsTuple: true } t:
                var parts = v is ListValue l ? l.Items : throw new TemplateException($"cannot unpack a {v.TypeName}", t.Pos);
                if (parts.Count != t.Items.Count) throw new TemplateException($"expected {t.Items.Count} values to unpack, got {parts.Count}", t.Pos);
                for (var k = 0; k < parts.Count; k++) Assign(t.Items[k], parts[k], scope);
                return;
            default: throw new TemplateException("invalid assignment target", target.Pos);
        }
    }

    FunctionValue MakeMacro(string name, List<Param> ps, List<Node> body, Scope defining) =>
        new(name, (args, _) =>
        {
            var s = new Scope(defining);
            for (var k = 0; k < ps.Count; k++)
            {
                var p = ps[k];
                Value v;
                if (k < args.Positional.Count) v = args.Positional[k];
                else if (args.Kwargs.TryGetValue(p.Name, out var kv)) v = kv;
                else if (p.Default is not null) v = Eval(p.Default, s);
                else v = Value.Undefined(p.Name);
                s.Set(p.Name, v);
            }
            var extraKw = new DictValue();
            foreach (var (k, v) in args.Kwargs)
                if (!ps.Any(p => p.Name == k)) extraKw.Items[k] = v;
            s.Set("kwargs", extraKw);
            s.Set("varargs", new ListValue([.. args.Positional.Skip(ps.Count)]));
            var sb = new StringBuilder();
            RenderBlock(body, s, sb);
            return new StringValue(sb.ToString());
        });

    // ---- expressions ----
    public Value Eval(Expr e, Scope scope)
    {
        Enter(e.Pos);
        try { return Checked(EvalExpr(e, scope), e.Pos); }
        finally { depth--; }
    }

    Value EvalExpr(Expr e, Scope scope)
    {
        switch (e)
        {
            case LiteralExpr l: return l.Value;
            case NameExpr n: return scope.Lookup(n.Name) ?? Value.Undefined(n.Name);
            case ListExpr l: return new ListValue([.. l.Items.Select(x => Eval(x, scope))], l.IsTuple);
            case DictExpr d:
            {
                var r = new DictValue();
                foreach (var (k, v) in d.Pairs) r.Items[Format.Str(Eval(k, scope))] = Eval(v, scope);
                return r;
            }
            case AttrExpr a: return Access.GetAttr(Eval(a.Target, scope), a.Name);
            case ItemExpr it:
            {
                var target = Eval(it.Target, scope);
                var index = Eval(it.Index, scope);
                return Access.GetItem(target, index);
            }
            case SliceExpr s:
            {
                var target = Eval(s.Target, scope);
                long? Opt(Expr? x, string what) => x is null ? null : Eval(x, scope) switch
                {
                    IntValue i => i.V,
                    NoneValue or UndefinedValue => null,
                    var o => throw new TemplateException($"slice {what} must be an integer, got {o.TypeName}", x.Pos),
                };
                var (start, stop, step) = (Opt(s.Start, "start"), Opt(s.Stop, "stop"), Opt(s.Step, "step"));
                return Guard(s.Pos, () => Access.Slice(target, start, stop, step));
            }
            case CallExpr c:
            {
                var callee = Eval(c.Callee, scope);
                var args = EvalArgs(c.Args, c.Kwargs, c.Pos, scope);
                if (callee is FunctionValue fn) return Guard(c.Pos, () => fn.Body(args, this));
                var what = c.Callee switch { NameExpr n => n.Name, AttrExpr a => a.Name, _ => "expression" };
                throw new TemplateException(callee is UndefinedValue
                    ? $"'{what}' is undefined, so it cannot be called"
                    : $"'{what}' is a {callee.TypeName}, not a function, so it cannot be called", c.Pos);
            }
            case FilterExpr f:
            {
                var operand = Eval(f.Operand, scope);
                var args = EvalArgs(f.Args, f.Kwargs, f.Pos, scope);
                return Guard(f.Pos, () => Filters.Apply(this, f.Name, operand, args));
            }
            case TestExpr t:
            {
                var operand = Eval(t.Operand, scope);
                var args = t.Args.Select(x => Eval(x, scope)).ToList();
                var r = Guard(t.Pos, () => Tests.Apply(t.Name, operand, args));
                return Value.Bool(r != t.Negate);
            }
            case BinaryExpr b:
            {
                if (b.Op == "and") { var l = Eval(b.Left, scope); return l.Truthy ? Eval(b.Right, scope) : l; }
                if (b.Op == "or") { var l = Eval(b.Left, scope); return l.Truthy ? l : Eval(b.Right, scope); }
                var left = Eval(b.Left, scope);
                var right = Eval(b.Right, scope);
                if (b.Op == "*" && right is IntValue times)
                {
                    if (left is StringValue ls) CheckSize((long)ls.V.Length * Math.Max(0, Math.Min(times.V, int.MaxValue)), b.Pos);
                    if (left is ListValue ll) CheckSize((long)ll.Items.Count * Math.Max(0, Math.Min(times.V, int.MaxValue)), b.Pos);
                }
                return Guard(b.Pos, () => Operators.Binary(b.Op, left, right));
            }
            case UnaryExpr u:
            {
                var v = Eval(u.Operand, scope);
                return Guard(u.Pos, () => Operators.Unary(u.Op, v));
            }
            case CondExpr c:
                return Eval(c.Test, scope).Truthy ? Eval(c.Then, scope) : c.Else is null ? Value.Undefined() : Eval(c.Else, scope);
            default:
                throw new TemplateException($"cannot evaluate a {e.GetType().Name}", e.Pos);
        }
    }

    Args EvalArgs(List<Expr> args, List<(string Name, Expr Value)> kwargs, Pos pos, Scope scope)
    {
        var kw = new OrderedDictionary<string, Value>(StringComparer.Ordinal);
        foreach (var (n, v) in kwargs)
            if (!kw.TryAdd(n, Eval(v, scope))) throw new TemplateException($"keyword argument '{n}' given twice", pos);
        return new Args([.. args.Select(a => Eval(a, scope))], kw, pos);
    }

    /// <summary>Runs <paramref name="f"/>, turning a plain error from a filter, test, method or operator into a positioned one.</summary>
    public static T Guard<T>(Pos pos, Func<T> f)
    {
        try
        {
            return f();
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or FormatException or OverflowException or DivideByZeroException)
        {
            throw new TemplateException(ex.Message, pos.Line, pos.Column, null, ex);
        }
    }
}

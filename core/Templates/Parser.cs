using System.Globalization;

namespace Toolkit.Core.Templates;

/// <summary>
/// Recursive-descent parser for the Jinja subset chat templates use. Operator precedence is jinja2's (lowest first):
/// conditional <c>a if c else b</c>, <c>or</c>, <c>and</c>, <c>not</c>, comparisons and <c>in</c>, <c>+ -</c>,
/// <c>~</c>, <c>* / // %</c>, <c>**</c>, unary sign, then postfix (<c>.x [i] [a:b] (args)</c>) followed by filters
/// <c>|f</c> and tests <c>is t</c>. Anything outside the subset fails here, naming the construct and its line:column.
/// </summary>
internal sealed class Parser
{
    static readonly HashSet<string> EndTags =
        ["elif", "else", "endif", "endfor", "endmacro", "endcall", "endfilter", "endset"];
    static readonly HashSet<string> Unsupported =
        ["include", "import", "from", "extends", "block", "endblock", "raw", "endraw", "with", "endwith",
         "autoescape", "endautoescape", "do", "trans", "endtrans", "pluralize"];
    static readonly HashSet<string> NotTestArgument = ["else", "or", "and", "if", "is", "not", "in"];

    readonly List<Token> tokens;
    readonly Token endToken;
    int i;

    Parser(List<Token> tokens, Pos endPos)
    {
        this.tokens = tokens;
        endToken = new Token(Tok.Text, "", endPos);
    }

    public static List<Node> Parse(TemplateSource source)
    {
        var tokens = Lexer.Tokenize(source);
        var p = new Parser(tokens, source.PosOf(source.Text.Length));
        var body = new List<Node>();
        while (!p.AtEnd) p.ParseAny(body);
        return body;
    }

    // ---- token helpers ----
    bool AtEnd => i >= tokens.Count;
    Token Peek(int k = 0) => i + k < tokens.Count ? tokens[i + k] : endToken;
    bool Is(Tok t) => !AtEnd && tokens[i].Type == t;
    bool IsIdent(string name) => !AtEnd && tokens[i].Type == Tok.Ident && tokens[i].Value == name;
    bool IsStatement(params string[] names) =>
        Is(Tok.OpenStatement) && Peek(1).Type == Tok.Ident && names.Contains(Peek(1).Value);

    static TemplateException Error(string msg, Pos pos) => new(msg, pos);

    Token Expect(Tok t, string what)
    {
        var tok = Peek();
        if (AtEnd || tok.Type != t) throw Error($"expected {what}, found {Describe(tok)}", tok.Pos);
        i++;
        return tok;
    }

    void ExpectIdent(string name)
    {
        var tok = Peek();
        if (!IsIdent(name)) throw Error($"expected '{name}', found {Describe(tok)}", tok.Pos);
        i++;
    }

    string Describe(Token t) => ReferenceEquals(t, endToken) ? "end of template" : t.Type switch
    {
        Tok.Text => "text",
        Tok.String => $"string '{t.Value}'",
        _ => $"'{t.Value}'",
    };

    int nesting;

    /// <summary>One level deeper; a template nested beyond <see cref="TemplateLimits.MaxParseDepth"/> (or near the end of the stack) is refused.</summary>
    void Nest()
    {
        if (++nesting > TemplateLimits.MaxParseDepth || !System.Runtime.CompilerServices.RuntimeHelpers.TryEnsureSufficientExecutionStack())
            throw Error($"the template nests deeper than {TemplateLimits.MaxParseDepth} levels (brackets, operators or blocks inside each other)", Peek().Pos);
    }

    // ---- statements ----
    void ParseAny(List<Node> into)
    {
        var t = Peek();
        switch (t.Type)
        {
            case Tok.Comment: i++; return;
            case Tok.Text: i++; into.Add(new TextNode(t.Pos, t.Value)); return;
            case Tok.OpenExpression:
                i++;
                var e = ParseExpression();
                Expect(Tok.CloseExpression, "'}}'");
                into.Add(new OutputNode(t.Pos, e));
                return;
            case Tok.OpenStatement:
                into.Add(ParseStatement());
                return;
            default:
                throw Error($"unexpected {Describe(t)}", t.Pos);
        }
    }

    List<Node> ParseBlockUntil(string opener, Pos openPos, params string[] ends)
    {
        var body = new List<Node>();
        while (!IsStatement(ends))
        {
            if (AtEnd)
                throw Error($"missing {{% {ends[^1]} %}} for the '{opener}' opened at line {openPos}", openPos);
            ParseAny(body);
        }
        return body;
    }

    void ExpectEnd(string name)
    {
        Expect(Tok.OpenStatement, "'{%'");
        ExpectIdent(name);
        Expect(Tok.CloseStatement, "'%}'");
    }

    Node ParseStatement()
    {
        Nest();
        try { return ParseStatementCore(); }
        finally { nesting--; }
    }

    Node ParseStatementCore()
    {
        var open = Expect(Tok.OpenStatement, "'{%'");
        var nameTok = Peek();
        if (nameTok.Type != Tok.Ident) throw Error($"expected a tag name after '{{%', found {Describe(nameTok)}", nameTok.Pos);
        var name = nameTok.Value;
        i++;
        switch (name)
        {
            case "set": return ParseSet(open.Pos);
            case "if":
            {
                var node = ParseIf(open.Pos);
                ExpectEnd("endif");
                return node;
            }
            case "for": return ParseFor(open.Pos);
            case "macro": return ParseMacro(open.Pos);
            case "call": return ParseCallBlock(open.Pos);
            case "filter": return ParseFilterBlock(open.Pos);
            case "break":
                Expect(Tok.CloseStatement, "'%}'");
                return new BreakNode(open.Pos);
            case "continue":
                Expect(Tok.CloseStatement, "'%}'");
                return new ContinueNode(open.Pos);
        }
        if (EndTags.Contains(name)) throw Error($"unexpected '{{% {name} %}}' with no open block it could close", nameTok.Pos);
        if (Unsupported.Contains(name)) throw Error($"unsupported tag '{name}': chat templates here are self-contained (no include/import/extends/block/raw/with)", nameTok.Pos);
        throw Error($"unknown tag '{name}'", nameTok.Pos);
    }

    Node ParseSet(Pos pos)
    {
        var target = ParseTargetSequence();
        if (Is(Tok.Equals))
        {
            i++;
            var value = ParseExpressionSequence();
            Expect(Tok.CloseStatement, "'%}'");
            return new SetNode(pos, target, value, null);
        }
        Expect(Tok.CloseStatement, "'=' or '%}'");
        var body = ParseBlockUntil("set", pos, "endset");
        ExpectEnd("endset");
        return new SetNode(pos, target, null, body);
    }

    Expr ParseTargetSequence()
    {
        var first = ParsePostfix(ParsePrimary());
        if (!Is(Tok.Comma)) return CheckTarget(first);
        var items = new List<Expr> { CheckTarget(first) };
        while (Is(Tok.Comma))
        {
            i++;
            items.Add(CheckTarget(ParsePrimary()));
        }
        return new ListExpr(first.Pos, items, true);
    }

    static Expr CheckTarget(Expr e) => e switch
    {
        NameExpr or AttrExpr => e,
        ListExpr { IsTuple: true } => e,
        _ => throw Error("can only assign to a name, a tuple of names or a namespace attribute (ns.x)", e.Pos),
    };

    IfNode ParseIf(Pos pos)
    {
        var test = ParseExpression();
        Expect(Tok.CloseStatement, "'%}'");
        var body = ParseBlockUntil("if", pos, "elif", "else", "endif");
        var alt = new List<Node>();
        if (IsStatement("elif"))
        {
            var elifPos = Peek().Pos;
            i += 2;
            alt.Add(ParseIf(elifPos));
        }
        else if (IsStatement("else"))
        {
            i += 2;
            Expect(Tok.CloseStatement, "'%}'");
            alt = ParseBlockUntil("if", pos, "endif");
        }
        return new IfNode(pos, test, body, alt);
    }

    Node ParseFor(Pos pos)
    {
        var targets = new List<string>();
        var paren = Is(Tok.OpenParen);
        if (paren) i++;
        do
        {
            if (targets.Count > 0) i++; // comma
            var t = Expect(Tok.Ident, "a loop variable name");
            targets.Add(t.Value);
        } while (Is(Tok.Comma));
        if (paren) Expect(Tok.CloseParen, "')'");
        ExpectIdent("in");
        var iterable = ParseOr();
        Expr? cond = null;
        if (IsIdent("if"))
        {
            i++;
            cond = ParseOr();
        }
        if (IsIdent("recursive")) throw Error("unsupported: recursive for-loops", Peek().Pos);
        Expect(Tok.CloseStatement, "'%}'");
        var body = ParseBlockUntil("for", pos, "else", "endfor");
        var alt = new List<Node>();
        if (IsStatement("else"))
        {
            i += 2;
            Expect(Tok.CloseStatement, "'%}'");
            alt = ParseBlockUntil("for", pos, "endfor");
        }
        ExpectEnd("endfor");
        return new ForNode(pos, targets, targets.Count > 1 || paren, iterable, cond, body, alt);
    }

    Node ParseMacro(Pos pos)
    {
        var name = Expect(Tok.Ident, "a macro name").Value;
        var ps = ParseParams();
        Expect(Tok.CloseStatement, "'%}'");
        var body = ParseBlockUntil("macro", pos, "endmacro");
        ExpectEnd("endmacro");
        return new MacroNode(pos, name, ps, body);
    }

    List<Param> ParseParams()
    {
        Expect(Tok.OpenParen, "'('");
        var ps = new List<Param>();
        while (!Is(Tok.CloseParen))
        {
            var n = Expect(Tok.Ident, "a parameter name");
            Expr? def = null;
            if (Is(Tok.Equals)) { i++; def = ParseExpression(); }
            else if (ps.Count > 0 && ps[^1].Default is not null) throw Error("non-default parameter follows a default one", n.Pos);
            ps.Add(new Param(n.Value, def));
            if (!Is(Tok.CloseParen)) Expect(Tok.Comma, "',' or ')'");
        }
        i++;
        return ps;
    }

    Node ParseCallBlock(Pos pos)
    {
        var callerParams = Is(Tok.OpenParen) ? ParseParams() : [];
        var callee = ParsePostfix(ParsePrimary());
        if (callee is not CallExpr call) throw Error("expected a macro call after 'call'", callee.Pos);
        Expect(Tok.CloseStatement, "'%}'");
        var body = ParseBlockUntil("call", pos, "endcall");
        ExpectEnd("endcall");
        return new CallBlockNode(pos, call, callerParams, body);
    }

    Node ParseFilterBlock(Pos pos)
    {
        var nameTok = Expect(Tok.Ident, "a filter name");
        Filters.CheckKnown(nameTok.Value, nameTok.Pos);
        var (args, kwargs) = Is(Tok.OpenParen) ? ParseCallArgs() : ([], []);
        Expect(Tok.CloseStatement, "'%}'");
        var body = ParseBlockUntil("filter", pos, "endfilter");
        ExpectEnd("endfilter");
        return new FilterBlockNode(pos, nameTok.Value, args, kwargs, body);
    }

    // ---- expressions ----
    Expr ParseExpressionSequence()
    {
        var first = ParseExpression();
        if (!Is(Tok.Comma)) return first;
        var items = new List<Expr> { first };
        while (Is(Tok.Comma))
        {
            i++;
            if (Is(Tok.CloseParen) || Is(Tok.CloseStatement)) break;
            items.Add(ParseExpression());
        }
        return new ListExpr(first.Pos, items, true);
    }

    public Expr ParseExpression()
    {
        var a = ParseOr();
        if (!IsIdent("if")) return a;
        i++;
        var test = ParseOr();
        Expr? alt = null;
        if (IsIdent("else"))
        {
            i++;
            alt = ParseExpression();
        }
        return new CondExpr(a.Pos, test, a, alt);
    }

    Expr ParseOr()
    {
        var left = ParseAnd();
        while (IsIdent("or"))
        {
            var p = Peek().Pos;
            i++;
            left = new BinaryExpr(p, "or", left, ParseAnd());
        }
        return left;
    }

    Expr ParseAnd()
    {
        var left = ParseNot();
        while (IsIdent("and"))
        {
            var p = Peek().Pos;
            i++;
            left = new BinaryExpr(p, "and", left, ParseNot());
        }
        return left;
    }

    Expr ParseNot()
    {
        Nest();
        try { return ParseNotCore(); }
        finally { nesting--; }
    }

    Expr ParseNotCore()
    {
        if (IsIdent("not"))
        {
            var p = Peek().Pos;
            i++;
            return new UnaryExpr(p, "not", ParseNot());
        }
        return ParseCompare();
    }

    Expr ParseCompare()
    {
        var left = ParseMath1();
        while (true)
        {
            string op;
            var p = Peek().Pos;
            if (IsIdent("not") && Peek(1).Type == Tok.Ident && Peek(1).Value == "in") { op = "not in"; i += 2; }
            else if (IsIdent("in")) { op = "in"; i++; }
            else if (Is(Tok.Comparison)) { op = Peek().Value; i++; }
            else return left;
            left = new BinaryExpr(p, op, left, ParseMath1());
        }
    }

    Expr ParseMath1()
    {
        var left = ParseConcat();
        while (Is(Tok.Additive) && Peek().Value is "+" or "-")
        {
            var t = Peek();
            i++;
            left = new BinaryExpr(t.Pos, t.Value, left, ParseConcat());
        }
        return left;
    }

    Expr ParseConcat()
    {
        var left = ParseMath2();
        while (Is(Tok.Additive) && Peek().Value == "~")
        {
            var t = Peek();
            i++;
            left = new BinaryExpr(t.Pos, "~", left, ParseMath2());
        }
        return left;
    }

    Expr ParseMath2()
    {
        var left = ParsePow();
        while (Is(Tok.Multiplicative))
        {
            var t = Peek();
            i++;
            left = new BinaryExpr(t.Pos, t.Value, left, ParsePow());
        }
        return left;
    }

    Expr ParsePow()
    {
        var left = ParseUnary(withFilter: true);
        while (Is(Tok.Power))
        {
            var t = Peek();
            i++;
            left = new BinaryExpr(t.Pos, "**", left, ParseUnary(withFilter: true));
        }
        return left;
    }

    Expr ParseUnary(bool withFilter)
    {
        Nest();
        try { return ParseUnaryCore(withFilter); }
        finally { nesting--; }
    }

    Expr ParseUnaryCore(bool withFilter)
    {
        var t = Peek();
        Expr node;
        if ((t.Type == Tok.Unary || t.Type == Tok.Additive) && t.Value is "-" or "+")
        {
            i++;
            node = new UnaryExpr(t.Pos, t.Value, ParseUnary(withFilter: false));
        }
        else node = ParsePostfix(ParsePrimary());
        return withFilter ? ParseFiltersAndTests(node) : node;
    }

    Expr ParseFiltersAndTests(Expr node)
    {
        while (true)
        {
            if (Is(Tok.Pipe))
            {
                i++;
                var n = Expect(Tok.Ident, "a filter name after '|'");
                Filters.CheckKnown(n.Value, n.Pos);
                var (args, kwargs) = Is(Tok.OpenParen) ? ParseCallArgs() : ([], []);
                node = new FilterExpr(n.Pos, node, n.Value, args, kwargs);
            }
            else if (IsIdent("is"))
            {
                i++;
                var negate = IsIdent("not");
                if (negate) i++;
                var n = Peek();
                string name;
                if (n.Type == Tok.Ident) name = n.Value;
                else if (n.Type == Tok.Comparison) name = n.Value;
                else throw Error($"expected a test name after 'is', found {Describe(n)}", n.Pos);
                i++;
                Tests.CheckKnown(name, n.Pos);
                var args = new List<Expr>();
                if (Is(Tok.OpenParen))
                {
                    var (a, kw) = ParseCallArgs();
                    if (kw.Count > 0) throw Error($"test '{name}' takes no keyword arguments", n.Pos);
                    args = a;
                }
                else if (!AtEnd && Peek().Type is Tok.Ident or Tok.String or Tok.Int or Tok.Float or Tok.OpenBracket or Tok.OpenBrace
                         && !(Peek().Type == Tok.Ident && NotTestArgument.Contains(Peek().Value)))
                {
                    args.Add(ParsePostfix(ParsePrimary()));
                }
                node = new TestExpr(n.Pos, node, name, negate, args);
            }
            else return node;
        }
    }

    Expr ParsePostfix(Expr node)
    {
        while (true)
        {
            var t = Peek();
            if (Is(Tok.Dot))
            {
                i++;
                var n = Peek();
                if (n.Type == Tok.Ident) { i++; node = new AttrExpr(n.Pos, node, n.Value); }
                else if (n.Type == Tok.Int) { i++; node = new ItemExpr(n.Pos, node, new LiteralExpr(n.Pos, new IntValue(long.Parse(n.Value, CultureInfo.InvariantCulture)))); }
                else throw Error($"expected a name after '.', found {Describe(n)}", n.Pos);
            }
            else if (Is(Tok.OpenBracket))
            {
                i++;
                node = ParseSubscript(node, t.Pos);
            }
            else if (Is(Tok.OpenParen))
            {
                var (args, kwargs) = ParseCallArgs();
                node = new CallExpr(node is AttrExpr or NameExpr ? node.Pos : t.Pos, node, args, kwargs);
            }
            else return node;
        }
    }

    Expr ParseSubscript(Expr target, Pos pos)
    {
        var parts = new List<Expr?>();
        var isSlice = false;
        Expr? current = null;
        while (!Is(Tok.CloseBracket))
        {
            if (AtEnd) throw Error("missing ']'", pos);
            if (Is(Tok.Colon))
            {
                parts.Add(current);
                current = null;
                isSlice = true;
                i++;
            }
            else
            {
                if (current is not null) throw Error($"expected ':' or ']', found {Describe(Peek())}", Peek().Pos);
                current = ParseExpression();
            }
        }
        i++;
        parts.Add(current);
        if (!isSlice)
        {
            if (current is null) throw Error("empty subscript '[]'", pos);
            return new ItemExpr(pos, target, current);
        }
        if (parts.Count > 3) throw Error("a slice takes at most three parts [start:stop:step]", pos);
        while (parts.Count < 3) parts.Add(null);
        return new SliceExpr(pos, target, parts[0], parts[1], parts[2]);
    }

    (List<Expr> Args, List<(string, Expr)> Kwargs) ParseCallArgs()
    {
        var open = Expect(Tok.OpenParen, "'('");
        var args = new List<Expr>();
        var kwargs = new List<(string, Expr)>();
        while (!Is(Tok.CloseParen))
        {
            if (AtEnd) throw Error("missing ')'", open.Pos);
            if (Is(Tok.Multiplicative) && Peek().Value == "*" || Is(Tok.Power))
                throw Error("unsupported: argument unpacking (*args, **kwargs)", Peek().Pos);
            if (Is(Tok.Ident) && Peek(1).Type == Tok.Equals)
            {
                var n = Peek().Value;
                i += 2;
                kwargs.Add((n, ParseExpression()));
            }
            else
            {
                var e = ParseExpression();
                if (kwargs.Count > 0) throw Error("positional argument follows keyword argument", e.Pos);
                args.Add(e);
            }
            if (!Is(Tok.CloseParen)) Expect(Tok.Comma, "',' or ')'");
        }
        i++;
        return (args, kwargs);
    }

    Expr ParsePrimary()
    {
        Nest();
        try { return ParsePrimaryCore(); }
        finally { nesting--; }
    }

    Expr ParsePrimaryCore()
    {
        var t = Peek();
        if (AtEnd) throw Error("unexpected end of template inside an expression", t.Pos);
        i++;
        switch (t.Type)
        {
            case Tok.Int:
                return long.TryParse(t.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)
                    ? new LiteralExpr(t.Pos, new IntValue(l))
                    : new LiteralExpr(t.Pos, new FloatValue(double.Parse(t.Value, CultureInfo.InvariantCulture)));
            case Tok.Float:
                return new LiteralExpr(t.Pos, new FloatValue(double.Parse(t.Value, CultureInfo.InvariantCulture)));
            case Tok.String:
            {
                var s = t.Value;
                while (Is(Tok.String)) s += tokens[i++].Value;
                return new LiteralExpr(t.Pos, new StringValue(s));
            }
            case Tok.Ident:
                return t.Value switch
                {
                    "true" or "True" => new LiteralExpr(t.Pos, Value.True),
                    "false" or "False" => new LiteralExpr(t.Pos, Value.False),
                    "none" or "None" => new LiteralExpr(t.Pos, Value.None),
                    _ => new NameExpr(t.Pos, t.Value),
                };
            case Tok.OpenParen:
            {
                if (Is(Tok.CloseParen)) { i++; return new ListExpr(t.Pos, [], true); }
                var e = ParseExpressionSequence();
                Expect(Tok.CloseParen, "')'");
                return e;
            }
            case Tok.OpenBracket:
            {
                var items = new List<Expr>();
                while (!Is(Tok.CloseBracket))
                {
                    if (AtEnd) throw Error("missing ']'", t.Pos);
                    items.Add(ParseExpression());
                    if (!Is(Tok.CloseBracket)) Expect(Tok.Comma, "',' or ']'");
                }
                i++;
                return new ListExpr(t.Pos, items, false);
            }
            case Tok.OpenBrace:
            {
                var pairs = new List<(Expr, Expr)>();
                while (!Is(Tok.CloseBrace))
                {
                    if (AtEnd) throw Error("missing '}'", t.Pos);
                    var k = ParseExpression();
                    Expect(Tok.Colon, "':' in a dict literal");
                    pairs.Add((k, ParseExpression()));
                    if (!Is(Tok.CloseBrace)) Expect(Tok.Comma, "',' or '}'");
                }
                i++;
                return new DictExpr(t.Pos, pairs);
            }
            default:
                throw Error($"unexpected {Describe(t)} in an expression", t.Pos);
        }
    }
}

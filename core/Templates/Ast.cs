namespace Toolkit.Core.Templates;

// The syntax tree the parser builds and the interpreter walks. Every node keeps the position of its first token.

internal abstract record Node(Pos Pos);

// ---- statements ----
internal sealed record TextNode(Pos Pos, string Text) : Node(Pos);
internal sealed record OutputNode(Pos Pos, Expr Value) : Node(Pos);
internal sealed record IfNode(Pos Pos, Expr Test, List<Node> Body, List<Node> Else) : Node(Pos);
internal sealed record ForNode(Pos Pos, List<string> Targets, bool Unpack, Expr Iterable, Expr? Condition,
    List<Node> Body, List<Node> Else) : Node(Pos);
internal sealed record SetNode(Pos Pos, Expr Target, Expr? Value, List<Node>? Body) : Node(Pos);
internal sealed record MacroNode(Pos Pos, string Name, List<Param> Params, List<Node> Body) : Node(Pos);
internal sealed record CallBlockNode(Pos Pos, CallExpr Call, List<Param> CallerParams, List<Node> Body) : Node(Pos);
internal sealed record FilterBlockNode(Pos Pos, string Filter, List<Expr> Args, List<(string Name, Expr Value)> Kwargs,
    List<Node> Body) : Node(Pos);
internal sealed record BreakNode(Pos Pos) : Node(Pos);
internal sealed record ContinueNode(Pos Pos) : Node(Pos);

internal sealed record Param(string Name, Expr? Default);

// ---- expressions ----
internal abstract record Expr(Pos Pos) : Node(Pos);
internal sealed record LiteralExpr(Pos Pos, Value Value) : Expr(Pos);
internal sealed record NameExpr(Pos Pos, string Name) : Expr(Pos);
internal sealed record ListExpr(Pos Pos, List<Expr> Items, bool IsTuple) : Expr(Pos);
internal sealed record DictExpr(Pos Pos, List<(Expr Key, Expr Value)> Pairs) : Expr(Pos);
internal sealed record AttrExpr(Pos Pos, Expr Target, string Name) : Expr(Pos);
internal sealed record ItemExpr(Pos Pos, Expr Target, Expr Index) : Expr(Pos);
internal sealed record SliceExpr(Pos Pos, Expr Target, Expr? Start, Expr? Stop, Expr? Step) : Expr(Pos);
internal sealed record CallExpr(Pos Pos, Expr Callee, List<Expr> Args, List<(string Name, Expr Value)> Kwargs) : Expr(Pos);
internal sealed record FilterExpr(Pos Pos, Expr Operand, string Name, List<Expr> Args, List<(string Name, Expr Value)> Kwargs) : Expr(Pos);
internal sealed record TestExpr(Pos Pos, Expr Operand, string Name, bool Negate, List<Expr> Args) : Expr(Pos);
internal sealed record BinaryExpr(Pos Pos, string Op, Expr Left, Expr Right) : Expr(Pos);
internal sealed record UnaryExpr(Pos Pos, string Op, Expr Operand) : Expr(Pos);
internal sealed record CondExpr(Pos Pos, Expr Test, Expr Then, Expr? Else) : Expr(Pos);

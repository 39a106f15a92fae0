namespace Toolkit.Core.Templates;

/// <summary>
/// Variables visible at one point of a render. A for-loop body and a macro call get a child scope, so a
/// <c>{% set %}</c> inside them does not leak out (jinja2's rule); <c>if</c> blocks share their parent's scope.
/// </summary>
internal sealed class Scope(Scope? parent)
{
    readonly Scope? parent = parent;
    readonly Dictionary<string, Value> vars = new(StringComparer.Ordinal);

    public Value? Lookup(string name)
    {
        for (var s = this; s != null; s = s.parent)
            if (s.vars.TryGetValue(name, out var v)) return v;
        return null;
    }

    public void Set(string name, Value v) => vars[name] = v;
}

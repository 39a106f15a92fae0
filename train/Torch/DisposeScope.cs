namespace Toolkit.Train.Torch;

/// <summary>
/// Owns every <see cref="Tensor"/> created on this thread while it is the current scope, and disposes them when it ends
/// (TorchSharp's semantics). Scopes nest: a new scope becomes current, and ending it makes its outer scope current again.
/// Keep a result alive past the scope with <see cref="MoveToOuter"/> (or <see cref="Tensor.MoveToOuterScope"/>), or take it
/// out of all scopes with <see cref="Detach"/> (then its owner disposes it). Create with <see cref="torch.NewDisposeScope"/>.
/// </summary>
public sealed class DisposeScope : IDisposable
{
    [ThreadStatic] static DisposeScope? t_current;

    readonly HashSet<Tensor> _owned = new(ReferenceEqualityComparer.Instance);
    bool _disposed;

    /// <summary>The thread's current scope, or null.</summary>
    public static DisposeScope? Current => t_current;

    /// <summary>The scope that was current when this one began (receives tensors moved out).</summary>
    public DisposeScope? Outer { get; }

    /// <summary>How many tensors this scope will dispose.</summary>
    public int Count => _owned.Count;

    internal DisposeScope()
    {
        Outer = t_current;
        t_current = this;
    }

    internal void Add(Tensor t)
    {
        _owned.Add(t);
        t.Scope = this;
    }

    internal void Remove(Tensor t) => _owned.Remove(t);

    /// <summary>Hands <paramref name="t"/> to the outer scope (or to no scope when this is the outermost); returns it.</summary>
    public Tensor MoveToOuter(Tensor t)
    {
        if (t.Scope != this) throw new InvalidOperationException("MoveToOuter: the tensor is not owned by this scope");
        _owned.Remove(t);
        t.Scope = null;
        Outer?.Add(t);
        return t;
    }

    /// <summary>Takes <paramref name="t"/> out of this scope: no scope disposes it; the caller must.</summary>
    public Tensor Detach(Tensor t)
    {
        if (t.Scope != this) throw new InvalidOperationException("Detach: the tensor is not owned by this scope");
        _owned.Remove(t);
        t.Scope = null;
        return t;
    }

    /// <summary>Disposes every tensor still owned and makes the outer scope current.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (t_current == this) t_current = Outer;
        foreach (var t in _owned)
        {
            t.Scope = null;
            t.Dispose();
        }
        _owned.Clear();
    }
}

using System.Runtime.InteropServices;

namespace Toolkit.Train.Torch.Native;

/// <summary>Owns one <c>tk_tensor_t</c>; releasing it calls <c>tk_tensor_free</c> (from Dispose, or the finalizer as a last resort).</summary>
internal sealed class TensorHandle : SafeHandle
{
    static long s_live;

    /// <summary>Handles created and not yet released in this process (the managed side of the live-tensor count).</summary>
    internal static long Live => Interlocked.Read(ref s_live);

    /// <summary>The NULL handle, passed where a native parameter is optional (bias, grad); never released.</summary>
    internal static readonly TensorHandle None = new();

    public TensorHandle() : base(0, ownsHandle: true) { }

    internal TensorHandle(nint handle) : base(0, ownsHandle: true)
    {
        SetHandle(handle);
        Interlocked.Increment(ref s_live);
    }

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle()
    {
        Lib.tk_tensor_free(handle);
        Interlocked.Decrement(ref s_live);
        return true;
    }
}

/// <summary>Owns one <c>tk_optim_adamw_t</c>.</summary>
internal sealed class AdamWHandle : SafeHandle
{
    public AdamWHandle() : base(0, ownsHandle: true) { }

    internal AdamWHandle(nint handle) : base(0, ownsHandle: true) => SetHandle(handle);

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle()
    {
        Lib.tk_optim_adamw_free(handle);
        return true;
    }
}

/// <summary>
/// Raw <c>tk_tensor_t</c> values of several tensors for one native call taking <c>const tk_tensor_t*</c>; each handle is
/// AddRef'd so none can be freed during the call. Use with <c>using</c>.
/// </summary>
internal readonly ref struct HandleList
{
    readonly ReadOnlySpan<Tensor> _tensors;
    internal readonly nint[] Raw;

    internal HandleList(ReadOnlySpan<Tensor> tensors)
    {
        _tensors = tensors;
        Raw = new nint[tensors.Length];
        var added = 0;
        try
        {
            for (; added < tensors.Length; added++)
            {
                var ok = false;
                tensors[added].Handle.DangerousAddRef(ref ok);
                Raw[added] = tensors[added].Handle.DangerousGetHandle();
            }
        }
        catch
        {
            for (var i = 0; i < added; i++) tensors[i].Handle.DangerousRelease();
            throw;
        }
    }

    public void Dispose()
    {
        foreach (var t in _tensors) t.Handle.DangerousRelease();
    }
}

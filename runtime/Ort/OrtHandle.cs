using System.Runtime.InteropServices;

namespace Toolkit.Runtime.Ort;

/// <summary>
/// Base of every owned ORT object: a <see cref="SafeHandle"/> whose null pointer means invalid. Each subclass
/// releases its handle with the matching <c>Release*</c> entry of the table. Dispose releases deterministically; the
/// finalizer is the safety net, not the plan.
/// </summary>
public abstract class OrtHandle : SafeHandle
{
    /// <summary>Takes ownership of <paramref name="handle"/>.</summary>
    protected OrtHandle(nint handle) : base(0, ownsHandle: true) => SetHandle(handle);

    /// <inheritdoc/>
    public override bool IsInvalid => handle == 0;

    /// <summary>The native pointer, or an <see cref="ObjectDisposedException"/> naming the type.</summary>
    internal nint Live
    {
        get
        {
            ObjectDisposedException.ThrowIf(IsClosed, this);
            return handle;
        }
    }
}

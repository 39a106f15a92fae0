using Toolkit.Train.Torch.Native;

#pragma warning disable CS8981 // lower-case type names (torch, nn, optim) are deliberate: the TorchSharp surface

namespace Toolkit.Train.Torch;

// Thread-local modes as IDisposable scopes (grad mode and autocast are per-thread in libtorch: end a scope on the thread
// that began it).
public static partial class torch
{
    /// <summary>Disables gradient recording on this thread until disposed; restores the previous mode.</summary>
    public static IDisposable no_grad() => new GradModeScope(enabled: false);

    /// <summary>Enables gradient recording on this thread until disposed; restores the previous mode.</summary>
    public static IDisposable enable_grad() => new GradModeScope(enabled: true);

    /// <summary>Whether operations are being recorded for autograd on this thread.</summary>
    public static bool is_grad_enabled() => Lib.Check(Lib.tk_autograd_is_grad_enabled()) != 0;

    /// <summary>
    /// CPU autocast until disposed: matmul / linear / bmm run in <paramref name="dtype"/> (bf16 uses AMX here). In libtorch
    /// 1.13 only a few ops are forced back to fp32 on CPU (cross_entropy, nll_loss, ...): softmax, log_softmax and layer_norm
    /// of a bf16 input stay bf16, so upcast with <c>.to(ScalarType.Float32)</c> before precision-sensitive reductions.
    /// Nested scopes restore the outer setting; leaving the outermost clears libtorch's cache of cast weights.
    /// </summary>
    public static IDisposable autocast(ScalarType dtype = ScalarType.BFloat16) => new AutocastScope(dtype);

    /// <summary>Whether CPU autocast is on for this thread.</summary>
    public static bool is_autocast_enabled() => Lib.Check(Lib.tk_autocast_is_enabled()) != 0;

    sealed class GradModeScope : IDisposable
    {
        readonly bool _previous;
        bool _done;

        internal GradModeScope(bool enabled)
        {
            _previous = is_grad_enabled();
            Lib.Check(Lib.tk_autograd_set_grad_enabled(enabled ? 1 : 0));
        }

        public void Dispose()
        {
            if (_done) return;
            _done = true;
            Lib.Check(Lib.tk_autograd_set_grad_enabled(_previous ? 1 : 0));
        }
    }

    sealed class AutocastScope : IDisposable
    {
        readonly int _prevEnabled, _prevDtype;
        bool _done;

        internal AutocastScope(ScalarType dtype)
        {
            _prevEnabled = Lib.Check(Lib.tk_autocast_is_enabled());
            _prevDtype = Lib.Check(Lib.tk_autocast_dtype());
            Lib.Check(Lib.tk_autocast_enter((int)dtype));
        }

        public void Dispose()
        {
            if (_done) return;
            _done = true;
            Lib.Check(Lib.tk_autocast_exit(_prevEnabled, _prevDtype));
        }
    }
}

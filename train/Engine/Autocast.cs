using TorchSharp;

namespace Toolkit.Train.Engine;

/// <summary>
/// libtorch's CPU autocast, which TorchSharp 0.107 does not bind: the switches are called through function pointers
/// looked up in <c>libtorch_cpu.so</c> 2.10 by their Itanium-mangled names (c10::DeviceType and c10::ScalarType are
/// int8 enums; CPU = 0). Under <see cref="Enable"/>, libtorch's CPU autocast policy runs linear / matmul / bmm in
/// the autocast dtype while elementwise ops keep their input type; gradients of float32 leaves stay float32.
/// Thread-local, as in libtorch: end a scope on the thread that began it. Depends on this libtorch build's C++ ABI; a
/// missing symbol is an <see cref="EntryPointNotFoundException"/> at the first call.
/// </summary>
public static unsafe class Autocast
{
    const sbyte Cpu = 0;

    static readonly Lazy<Api> Fns = new(() =>
    {
        var h = TorchSharpNative.TorchCpu;
        nint F(string name) => System.Runtime.InteropServices.NativeLibrary.TryGetExport(h, name, out var p) ? p
            : throw new EntryPointNotFoundException($"libtorch_cpu.so has no {name}: autocast needs libtorch 2.10's C++ ABI");
        return new Api
        {
            SetEnabled = (delegate* unmanaged<sbyte, byte, void>)F("_ZN2at8autocast20set_autocast_enabledEN3c1010DeviceTypeEb"),
            IsEnabled = (delegate* unmanaged<sbyte, byte>)F("_ZN2at8autocast19is_autocast_enabledEN3c1010DeviceTypeE"),
            SetDtype = (delegate* unmanaged<sbyte, sbyte, void>)F("_ZN2at8autocast18set_autocast_dtypeEN3c1010DeviceTypeENS1_10ScalarTypeE"),
            GetDtype = (delegate* unmanaged<sbyte, sbyte>)F("_ZN2at8autocast18get_autocast_dtypeEN3c1010DeviceTypeE"),
            Increment = (delegate* unmanaged<long>)F("_ZN2at8autocast17increment_nestingEv"),
            Decrement = (delegate* unmanaged<long>)F("_ZN2at8autocast17decrement_nestingEv"),
            ClearCache = (delegate* unmanaged<void>)F("_ZN2at8autocast11clear_cacheEv"),
        };
    });

    sealed class Api
    {
        public delegate* unmanaged<sbyte, byte, void> SetEnabled;
        public delegate* unmanaged<sbyte, byte> IsEnabled;
        public delegate* unmanaged<sbyte, sbyte, void> SetDtype;
        public delegate* unmanaged<sbyte, sbyte> GetDtype;
        public delegate* unmanaged<long> Increment, Decrement;
        public delegate* unmanaged<void> ClearCache;
    }

    /// <summary>Whether CPU autocast is on for this thread.</summary>
    public static bool IsEnabled => Fns.Value.IsEnabled(Cpu) != 0;

    /// <summary>The CPU autocast dtype of this thread (meaningful while <see cref="IsEnabled"/>).</summary>
    public static torch.ScalarType Dtype => (torch.ScalarType)Fns.Value.GetDtype(Cpu);

    /// <summary>
    /// Turns CPU autocast on for this thread (matmul-class ops in <paramref name="dtype"/>, bf16 by default) until the
    /// result is disposed, which restores the previous state and dtype; leaving the outermost scope clears libtorch's
    /// cache of cast weights. <paramref name="enabled"/> false returns a scope that changes nothing, so callers write
    /// <c>using var _ = Autocast.Enable(bf16);</c> with a bool decided before the run.
    /// </summary>
    public static IDisposable Enable(bool enabled = true, torch.ScalarType dtype = torch.ScalarType.BFloat16) =>
        enabled ? new Scope(dtype) : NoScope.Instance;

    sealed class NoScope : IDisposable
    {
        internal static readonly NoScope Instance = new();
        public void Dispose() { }
    }

    sealed class Scope : IDisposable
    {
        readonly bool _wasEnabled;
        readonly sbyte _wasDtype;
        bool _done;

        internal Scope(torch.ScalarType dtype)
        {
            var f = Fns.Value;
            _wasEnabled = f.IsEnabled(Cpu) != 0;
            _wasDtype = f.GetDtype(Cpu);
            f.SetDtype(Cpu, (sbyte)dtype);
            f.SetEnabled(Cpu, 1);
            f.Increment();
        }

        public void Dispose()
        {
            if (_done) return;
            _done = true;
            var f = Fns.Value;
            if (f.Decrement() == 0) f.ClearCache();
            f.SetDtype(Cpu, _wasDtype);
            f.SetEnabled(Cpu, _wasEnabled ? (byte)1 : (byte)0);
        }
    }
}

using System.Runtime.InteropServices;

namespace Toolkit.Train.Distributed;

/// <summary>
/// Loads <c>libmpi.so.40</c> once with <c>RTLD_NOW | RTLD_GLOBAL</c> (Open MPI's plugins, dlopen'ed by MPI_Init, look up
/// libmpi's symbols globally; .NET's own loader uses RTLD_LOCAL) and resolves the predefined handles Open MPI exports as
/// global objects. A missing library is a <see cref="DllNotFoundException"/> that says what to install.
/// </summary>
internal static partial class MpiLibrary
{
    static readonly Lock Gate = new();
    static Handles? _handles;

    /// <summary>The predefined handles: addresses of Open MPI's global objects.</summary>
    internal sealed record Handles(nint CommWorld, nint Float, nint Double, nint Int, nint Byte, nint Sum, nint Max, nint Min, nint ErrorsReturn);

    /// <summary>Loads the library (once) and returns the handles.</summary>
    internal static Handles Load()
    {
        lock (Gate)
        {
            if (_handles is not null) return _handles;
            const int RtldNow = 2, RtldGlobal = 0x100;
            var lib = dlopen(MpiNative.Lib, RtldNow | RtldGlobal);
            if (lib == 0)
                throw new DllNotFoundException($"{MpiNative.Lib} could not be loaded ({Marshal.PtrToStringUTF8(dlerror()) ?? "no reason given"}). " +
                    "HINT: install Open MPI 4.1: `apt-get install -y openmpi-bin libopenmpi-dev` (or `make setup`), which `--nproc` and mpirun need.");
            nint Get(string symbol) => NativeLibrary.GetExport(lib, symbol);
            _handles = new Handles(Get("ompi_mpi_comm_world"), Get("ompi_mpi_float"), Get("ompi_mpi_double"), Get("ompi_mpi_int"), Get("ompi_mpi_byte"),
                Get("ompi_mpi_op_sum"), Get("ompi_mpi_op_max"), Get("ompi_mpi_op_min"), Get("ompi_mpi_errors_return"));
            return _handles;
        }
    }

    [LibraryImport("libc.so.6", StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint dlopen(string file, int mode);

    [LibraryImport("libc.so.6")]
    private static partial nint dlerror();
}

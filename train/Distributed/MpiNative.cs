using System.Runtime.InteropServices;

namespace Toolkit.Train.Distributed;

/// <summary>
/// P/Invoke declarations for Open MPI 4.1's C API (<c>libmpi.so.40</c>, Debian's <c>libopenmpi3</c>; headers in
/// <c>libopenmpi-dev</c>). Every name is the C function's name. Open MPI's handles (<c>MPI_Comm</c>, <c>MPI_Datatype</c>,
/// <c>MPI_Op</c>, <c>MPI_Errhandler</c>) are pointers to global objects (<c>MPI_COMM_WORLD</c> is
/// <c>&amp;ompi_mpi_comm_world</c>), resolved once by <see cref="MpiLibrary"/> with <see cref="NativeLibrary.GetExport"/>.
/// Every function returns an MPI error code (0 = <c>MPI_SUCCESS</c>) that <see cref="MpiException.Check"/> turns into an
/// exception carrying <c>MPI_Error_string</c>; that only works once <c>MPI_ERRORS_RETURN</c> is set on the communicator
/// (the default handler aborts the job).
/// </summary>
internal static unsafe partial class MpiNative
{
    /// <summary>The soname of Open MPI 4.x's C library.</summary>
    internal const string Lib = "libmpi.so.40";

    /// <summary><c>MPI_IN_PLACE</c>: <c>(void*)1</c> in Open MPI's mpi.h.</summary>
    internal static readonly nint InPlace = 1;

    /// <summary><c>MPI_THREAD_MULTIPLE</c> (the last of SINGLE, FUNNELED, SERIALIZED, MULTIPLE = 0..3).</summary>
    internal const int ThreadMultiple = 3;

    /// <summary><c>MPI_MAX_ERROR_STRING</c> (OPAL_MAX_ERROR_STRING = 256).</summary>
    internal const int MaxErrorString = 256;

    [LibraryImport(Lib)] internal static partial int MPI_Initialized(int* flag);
    [LibraryImport(Lib)] internal static partial int MPI_Finalized(int* flag);
    [LibraryImport(Lib)] internal static partial int MPI_Init_thread(int* argc, nint /* char*** */ argv, int required, int* provided);
    [LibraryImport(Lib)] internal static partial int MPI_Finalize();
    [LibraryImport(Lib)] internal static partial int MPI_Abort(nint /* MPI_Comm */ comm, int errorcode);
    [LibraryImport(Lib)] internal static partial int MPI_Comm_rank(nint /* MPI_Comm */ comm, int* rank);
    [LibraryImport(Lib)] internal static partial int MPI_Comm_size(nint /* MPI_Comm */ comm, int* size);
    [LibraryImport(Lib)] internal static partial int MPI_Comm_set_errhandler(nint /* MPI_Comm */ comm, nint /* MPI_Errhandler */ handler);
    [LibraryImport(Lib)] internal static partial int MPI_Error_string(int errorcode, byte* text, int* length);
    [LibraryImport(Lib)] internal static partial int MPI_Get_processor_name(byte* name, int* length);

    [LibraryImport(Lib)] internal static partial int MPI_Allreduce(nint /* const void* */ sendbuf, nint /* void* */ recvbuf, int count,
        nint /* MPI_Datatype */ datatype, nint /* MPI_Op */ op, nint /* MPI_Comm */ comm);
    [LibraryImport(Lib)] internal static partial int MPI_Bcast(nint /* void* */ buffer, int count, nint /* MPI_Datatype */ datatype, int root, nint /* MPI_Comm */ comm);
    [LibraryImport(Lib)] internal static partial int MPI_Allgatherv(nint /* const void* */ sendbuf, int sendcount, nint /* MPI_Datatype */ sendtype,
        nint /* void* */ recvbuf, int* recvcounts, int* displs, nint /* MPI_Datatype */ recvtype, nint /* MPI_Comm */ comm);

    [LibraryImport(Lib)] internal static partial int MPI_Isend(nint /* const void* */ buf, int count, nint /* MPI_Datatype */ datatype, int dest, int tag,
        nint /* MPI_Comm */ comm, nint* /* MPI_Request* */ request);
    [LibraryImport(Lib)] internal static partial int MPI_Irecv(nint /* void* */ buf, int count, nint /* MPI_Datatype */ datatype, int source, int tag,
        nint /* MPI_Comm */ comm, nint* /* MPI_Request* */ request);
    [LibraryImport(Lib)] internal static partial int MPI_Test(nint* /* MPI_Request* */ request, int* flag, nint /* MPI_Status*, NULL = MPI_STATUS_IGNORE */ status);
    [LibraryImport(Lib)] internal static partial int MPI_Iallreduce(nint /* const void* */ sendbuf, nint /* void* */ recvbuf, int count,
        nint /* MPI_Datatype */ datatype, nint /* MPI_Op */ op, nint /* MPI_Comm */ comm, nint* /* MPI_Request* */ request);
}

using System.Runtime.InteropServices;
using System.Text;

namespace Toolkit.Train.Distributed;

/// <summary>
/// The MPI job this process is one rank of (<c>MPI_COMM_WORLD</c> on Open MPI 4.1, launched by <c>mpirun</c>), with the
/// collectives data-parallel training needs. Every collective:
/// <list type="number">
/// <item>runs a roll call first: every rank posts a tiny non-blocking send of its collective sequence number to every
///   other rank and polls the matching receives (<c>MPI_Isend</c>/<c>MPI_Irecv</c> + <c>MPI_Test</c>) until
///   <see cref="Timeout"/>; ranks that have not answered by then are named in a <see cref="CollectiveTimeoutException"/>,
///   and a rank that answers with another sequence number (out of step) is an <see cref="InvalidOperationException"/>;</item>
/// <item>then runs the blocking collective (<c>MPI_Allreduce</c> etc., Open MPI's tuned algorithms) under a watchdog:
///   if it has not returned within <see cref="Timeout"/> (a rank died mid-transfer), the watchdog prints which
///   collective stalled and calls <c>MPI_Abort</c>, so no rank hangs.</item>
/// </list>
/// MPI errors are returned, not fatal (<c>MPI_ERRORS_RETURN</c>), and become <see cref="MpiException"/> with
/// <c>MPI_Error_string</c>'s text. Not thread-safe: call collectives from one thread, in the same order on every rank.
/// </summary>
public sealed unsafe class MpiWorld : IDisposable
{
    static MpiWorld? _current;
    readonly MpiLibrary.Handles _h;
    readonly int* _rollSend;   // (1,) this rank's sequence number, pinned for MPI_Isend
    readonly int* _rollRecv;   // (Size,) what each rank sent
    readonly nint* _rollReq;   // (2·Size,) receive and send requests
    long _sequence;
    bool _disposed;

    /// <summary>This process's rank, 0..Size-1.</summary>
    public int Rank { get; }

    /// <summary>Ranks in the job.</summary>
    public int Size { get; }

    /// <summary>Ranks on this machine (<c>OMPI_COMM_WORLD_LOCAL_SIZE</c>; 1 when unset): the CPU cores are shared among them.</summary>
    public int LocalSize { get; }

    /// <summary>This machine's name (<c>MPI_Get_processor_name</c>).</summary>
    public string Host { get; }

    /// <summary>How long one collective may wait for the other ranks before the job is ended. Default 300 s.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(300);

    /// <summary>Collectives run so far (the roll call's sequence number).</summary>
    public long Sequence => _sequence;

    /// <summary>True when this process was started by Open MPI's <c>mpirun</c> (<c>OMPI_COMM_WORLD_SIZE</c> is set).</summary>
    public static bool LaunchedByMpirun => Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_SIZE") is { Length: > 0 };

    /// <summary>The world initialized in this process, or null.</summary>
    public static MpiWorld? Current => _current;

    MpiWorld(MpiLibrary.Handles h, int rank, int size, string host)
    {
        _h = h; Rank = rank; Size = size; Host = host;
        LocalSize = int.TryParse(Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_LOCAL_SIZE"), out var l) && l > 0 ? l : 1;
        _rollSend = (int*)NativeMemory.AllocZeroed(sizeof(int));
        _rollRecv = (int*)NativeMemory.AllocZeroed((nuint)(size * sizeof(int)));
        _rollReq = (nint*)NativeMemory.AllocZeroed((nuint)(2 * size * sizeof(nint)));
    }

    /// <summary>
    /// <c>MPI_Init_thread</c> (asking for MPI_THREAD_MULTIPLE, so the watchdog may call <c>MPI_Abort</c> while the main
    /// thread is inside a collective), errors set to return, rank and size read. Once per process; a second call returns
    /// the same world.
    /// </summary>
    /// <exception cref="DllNotFoundException">Open MPI is not installed.</exception>
    /// <exception cref="MpiException">MPI_Init failed (e.g. started outside mpirun with no orted to start a singleton).</exception>
    public static MpiWorld Init()
    {
        if (_current is not null) return _current;
        var h = MpiLibrary.Load();
        int flag = 0, provided = 0, rank = 0, size = 0;
        MpiException.Check(MpiNative.MPI_Initialized(&flag), "MPI_Initialized");
        if (flag == 0) MpiException.Check(MpiNative.MPI_Init_thread(null, 0, MpiNative.ThreadMultiple, &provided), "MPI_Init_thread");
        MpiException.Check(MpiNative.MPI_Comm_set_errhandler(h.CommWorld, h.ErrorsReturn), "MPI_Comm_set_errhandler");
        MpiException.Check(MpiNative.MPI_Comm_rank(h.CommWorld, &rank), "MPI_Comm_rank");
        MpiException.Check(MpiNative.MPI_Comm_size(h.CommWorld, &size), "MPI_Comm_size", rank);
        var name = stackalloc byte[256];
        var length = 0;
        MpiException.Check(MpiNative.MPI_Get_processor_name(name, &length), "MPI_Get_processor_name", rank);
        return _current = new MpiWorld(h, rank, size, Encoding.UTF8.GetString(name, length));
    }

    /// <summary>In-place sum of <paramref name="data"/> over all ranks (every rank ends with the same sums).</summary>
    public void AllReduceSum(Span<float> data, string what)
    {
        fixed (float* p = data) AllReduce((nint)p, data.Length, _h.Float, _h.Sum, sizeof(float), what);
    }

    /// <summary>In-place sum of <paramref name="data"/> over all ranks.</summary>
    public void AllReduceSum(Span<double> data, string what)
    {
        fixed (double* p = data) AllReduce((nint)p, data.Length, _h.Double, _h.Sum, sizeof(double), what);
    }

    /// <summary>In-place element-wise maximum (<paramref name="max"/>) or minimum of <paramref name="data"/> over all ranks.</summary>
    public void AllReduceExtreme(Span<double> data, bool max, string what)
    {
        fixed (double* p = data) AllReduce((nint)p, data.Length, _h.Double, max ? _h.Max : _h.Min, sizeof(double), what);
    }

    /// <summary>In-place sum of <paramref name="count"/> fp32 values at <paramref name="data"/> (e.g. a contiguous CPU tensor's storage).</summary>
    public void AllReduceSum(nint data, long count, string what) => AllReduce(data, count, _h.Float, _h.Sum, sizeof(float), what);

    /// <summary>Rank <paramref name="root"/>'s <paramref name="data"/> copied into every rank's.</summary>
    public void Broadcast(Span<byte> data, int root, string what)
    {
        fixed (byte* p = data) Broadcast((nint)p, data.Length, root, what);
    }

    /// <summary>Rank <paramref name="root"/>'s <paramref name="bytes"/> bytes at <paramref name="data"/> copied into every rank's.</summary>
    public void Broadcast(nint data, long bytes, int root, string what)
    {
        RollCall(what);
        for (long off = 0; off < bytes; off += Chunk)
        {
            var n = (int)Math.Min(Chunk, bytes - off);
            using (Watchdog(what)) MpiException.Check(MpiNative.MPI_Bcast(data + (nint)off, n, _h.Byte, root, _h.CommWorld), $"MPI_Bcast ({what})", Rank);
        }
    }

    /// <summary>Every rank's <paramref name="mine"/> (lengths may differ), concatenated in rank order, on every rank.</summary>
    public float[] AllGather(ReadOnlySpan<float> mine, string what)
    {
        RollCall(what);
        var counts = new int[Size];
        var displs = new int[Size];
        var one = new int[Size];
        Array.Fill(one, 1);
        for (var r = 0; r < Size; r++) displs[r] = r;
        var count = mine.Length;
        fixed (int* c = counts, d = displs, o = one)
        {
            using (Watchdog(what)) MpiException.Check(MpiNative.MPI_Allgatherv((nint)(&count), 1, _h.Int, (nint)c, o, d, _h.Int, _h.CommWorld), $"MPI_Allgatherv counts ({what})", Rank);
            long total = 0;
            for (var r = 0; r < Size; r++) { displs[r] = (int)total; total += counts[r]; }
            if (total > int.MaxValue) throw new InvalidOperationException($"{what}: {total} values gathered is more than one MPI call carries ({int.MaxValue})");
            var all = new float[total];
            fixed (float* src = mine, dst = all)
            using (Watchdog(what))
                MpiException.Check(MpiNative.MPI_Allgatherv((nint)src, count, _h.Float, (nint)dst, c, d, _h.Float, _h.CommWorld), $"MPI_Allgatherv ({what})", Rank);
            return all;
        }
    }

    /// <summary>Waits until every rank reaches the same point (a roll call with no payload).</summary>
    public void Barrier(string what) => RollCall(what);

    /// <summary>
    /// Runs <paramref name="body"/>; an exception is printed as <c>rank R (host): message</c> on stderr, then the job is
    /// ended with <c>MPI_Abort</c> (mpirun then stops every rank), so one rank's failure never leaves the others waiting.
    /// </summary>
    public int RunOrAbort(Func<int> body)
    {
        try { return body(); }
        catch (Exception e)
        {
            Console.Error.WriteLine($"rank {Rank} ({Host}): {e.GetType().Name}: {e.Message}");
            Console.Error.Flush();
            Abort(e is CollectiveTimeoutException ? 3 : 1);
            return 1;
        }
    }

    /// <summary><c>MPI_Abort</c>: ends every rank of the job with <paramref name="code"/>.</summary>
    public void Abort(int code) => MpiNative.MPI_Abort(_h.CommWorld, code);

    /// <summary><c>MPI_Finalize</c> (after a final roll call, so no rank leaves while another still sends).</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        int finalized = 0;
        MpiNative.MPI_Finalized(&finalized);
        if (finalized == 0) MpiException.Check(MpiNative.MPI_Finalize(), "MPI_Finalize", Rank);
        NativeMemory.Free(_rollSend); NativeMemory.Free(_rollRecv); NativeMemory.Free(_rollReq);
        _current = null;
    }

    /// <summary>Elements per MPI call (the C API counts in int).</summary>
    const long Chunk = 1L << 28;

    void AllReduce(nint data, long count, nint type, nint op, int elementSize, string what)
    {
        RollCall(what);
        for (long off = 0; off < count; off += Chunk)
        {
            var n = (int)Math.Min(Chunk, count - off);
            using (Watchdog(what))
                MpiException.Check(MpiNative.MPI_Allreduce(MpiNative.InPlace, data + (nint)(off * elementSize), n, type, op, _h.CommWorld), $"MPI_Allreduce ({what})", Rank);
        }
    }

    /// <summary>Step 1 of every collective: every rank tells every other its sequence number; see the class summary.</summary>
    void RollCall(string what)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _sequence++;
        if (Size == 1) return;
        var tag = (int)(_sequence % 30000) + 1;
        *_rollSend = (int)_sequence;
        var pending = 0;
        for (var r = 0; r < Size; r++)
        {
            _rollReq[2 * r] = _rollReq[2 * r + 1] = 0;
            if (r == Rank) continue;
            MpiException.Check(MpiNative.MPI_Irecv((nint)(_rollRecv + r), 1, _h.Int, r, tag, _h.CommWorld, _rollReq + 2 * r), $"MPI_Irecv (roll call, {what})", Rank);
            MpiException.Check(MpiNative.MPI_Isend((nint)_rollSend, 1, _h.Int, r, tag, _h.CommWorld, _rollReq + 2 * r + 1), $"MPI_Isend (roll call, {what})", Rank);
            pending += 2;
        }
        var deadline = Environment.TickCount64 + (long)Timeout.TotalMilliseconds;
        var spin = new SpinWait();
        while (pending > 0)
        {
            for (var i = 0; i < 2 * Size; i++)
            {
                if (_rollReq[i] == 0) continue;
                int done = 0;
                MpiException.Check(MpiNative.MPI_Test(_rollReq + i, &done, 0), $"MPI_Test (roll call, {what})", Rank);
                if (done != 0) { _rollReq[i] = 0; pending--; }
            }
            if (pending == 0) break;
            if (Environment.TickCount64 > deadline)
            {
                var missing = Enumerable.Range(0, Size).Where(r => r != Rank && _rollReq[2 * r] != 0).ToList();
                throw new CollectiveTimeoutException(
                    $"rank(s) {string.Join(", ", missing)} did not reach collective #{_sequence} ({what}) within {Timeout.TotalSeconds:G4} s " +
                    $"(seen from rank {Rank} on {Host}). HINT: a rank died, hangs or runs much slower; its own log (or mpirun's) says why. " +
                    "Raise --collective_timeout if ranks legitimately take this long between steps.", Rank, missing);
            }
            spin.SpinOnce();
        }
        for (var r = 0; r < Size; r++)
            if (r != Rank && _rollRecv[r] != (int)_sequence)
                throw new InvalidOperationException($"rank {r} is at collective #{_rollRecv[r]} while rank {Rank} is at #{_sequence} ({what}): the ranks ran different code paths. " +
                    "HINT: every rank must see the same data size, options and step count.");
    }

    /// <summary>Step 2: a timer that ends the job if a blocking collective does not return in time.</summary>
    Timer Watchdog(string what)
    {
        var rank = Rank; var host = Host; var seconds = Timeout.TotalSeconds; var sequence = _sequence;
        return new Timer(_ =>
        {
            Console.Error.WriteLine($"rank {rank} ({host}): collective #{sequence} ({what}) did not complete within {seconds:G4} s although every rank reached it; " +
                "a rank died or stalled mid-transfer. Ending the job (MPI_Abort).");
            Console.Error.Flush();
            Abort(3);
        }, null, Timeout, System.Threading.Timeout.InfiniteTimeSpan);
    }
}

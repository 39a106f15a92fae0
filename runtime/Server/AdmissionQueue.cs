namespace Toolkit.Runtime.Server;

/// <summary>
/// Bounded concurrency with a bounded FIFO queue: at most <see cref="MaxConcurrency"/> holders of a slot at a time,
/// at most <see cref="MaxQueue"/> waiting for one; a request beyond that is refused at once (<see cref="TryEnterAsync"/>
/// returns null: the server answers 429). A waiter whose request is cancelled (client gone) leaves the queue.
/// Thread-safe; slots are handed over in arrival order.
/// </summary>
public sealed class AdmissionQueue
{
    readonly object _gate = new();
    readonly LinkedList<TaskCompletionSource<Slot>> _waiting = new();
    int _running;

    /// <summary>A queue with <paramref name="maxConcurrency"/> slots (≥ 1) and room for <paramref name="maxQueue"/> waiters (≥ 0).</summary>
    public AdmissionQueue(int maxConcurrency, int maxQueue)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxConcurrency, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(maxQueue);
        MaxConcurrency = maxConcurrency;
        MaxQueue = maxQueue;
    }

    /// <summary>Slots (requests generating at once).</summary>
    public int MaxConcurrency { get; }

    /// <summary>Waiters allowed.</summary>
    public int MaxQueue { get; }

    /// <summary>Slots held now.</summary>
    public int Running { get { lock (_gate) return _running; } }

    /// <summary>Requests waiting now.</summary>
    public int Waiting { get { lock (_gate) return _waiting.Count; } }

    /// <summary>Requests refused because the queue was full, since start.</summary>
    public long Rejected => Interlocked.Read(ref _rejected);
    long _rejected;

    /// <summary>
    /// A slot now, or after waiting in the queue; null at once when every slot is taken and the queue is full.
    /// Dispose the slot to pass it on. Throws <see cref="OperationCanceledException"/> (leaving the queue) when
    /// <paramref name="cancel"/> fires while waiting.
    /// </summary>
    public Task<Slot?> TryEnterAsync(CancellationToken cancel = default)
    {
        TaskCompletionSource<Slot> tcs;
        LinkedListNode<TaskCompletionSource<Slot>> node;
        lock (_gate)
        {
            if (_running < MaxConcurrency)
            {
                _running++;
                return Task.FromResult<Slot?>(new Slot(this));
            }
            if (_waiting.Count >= MaxQueue)
            {
                Interlocked.Increment(ref _rejected);
                return Task.FromResult<Slot?>(null);
            }
            tcs = new TaskCompletionSource<Slot>(TaskCreationOptions.RunContinuationsAsynchronously);
            node = _waiting.AddLast(tcs);
        }
        return Wait(tcs, node, cancel);
    }

    async Task<Slot?> Wait(TaskCompletionSource<Slot> tcs, LinkedListNode<TaskCompletionSource<Slot>> node, CancellationToken cancel)
    {
        using (cancel.Register(() =>
        {
            lock (_gate)
            {
                if (node.List is null) return;   // already handed a slot: the caller gets it and releases it
                _waiting.Remove(node);
            }
            tcs.TrySetCanceled(cancel);
        }))
        {
            return await tcs.Task.ConfigureAwait(false);
        }
    }

    void Release()
    {
        TaskCompletionSource<Slot> next;
        lock (_gate)
        {
            if (_waiting.First is not { } first)
            {
                _running--;
                return;
            }
            _waiting.RemoveFirst();   // the slot passes straight to the oldest waiter: _running stays
            next = first.Value;
        }
        next.SetResult(new Slot(this));
    }

    /// <summary>A held slot; Dispose releases it (once).</summary>
    public sealed class Slot : IDisposable
    {
        AdmissionQueue? _owner;

        internal Slot(AdmissionQueue owner) => _owner = owner;

        /// <summary>Passes the slot to the next waiter, or frees it.</summary>
        public void Dispose() => Interlocked.Exchange(ref _owner, null)?.Release();
    }
}

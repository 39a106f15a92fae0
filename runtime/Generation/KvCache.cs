using Toolkit.Runtime.Ort;

namespace Toolkit.Runtime.Generation;

/// <summary>
/// The KV cache of one generator, kept where the graph reads and writes it: nothing is copied between steps.
/// <para>Two ways, chosen by the graph:</para>
/// <list type="bullet">
/// <item><b>Shared buffer</b> (ORT-GenAI's past_present_share_buffer, only for GroupQueryAttention graphs): per layer
/// one K and one V buffer of (B, G, capacity, D), bound ONCE as both past_key_values.i.* and present.i.*. GQA sees the
/// same pointer for past and present and writes only the new positions in place (gqa_attention_base.h). Unlike
/// ORT-GenAI, which allocates max_length up front (805 MB for Qwen2.5-0.5B at 32k), the capacity starts at what the
/// prompt needs plus headroom and doubles when full; a doubling copies the cache once (strides change), so copies are
/// O(log n) over a generation, never per step.</item>
/// <item><b>Ping-pong</b> (every other graph, e.g. attention written as Concat(past, new), whose present is a new
/// tensor one position longer than past by definition): two buffers per layer; each step binds past as a view of
/// one and present as a view of the other, then swaps. The graph's own Concat writes present; the engine adds no
/// copy, allocates nothing per step (views are handles over pinned arrays) and never copies present out.</item>
/// </list>
/// </summary>
internal sealed class KvCache : IDisposable
{
    readonly Model _model;
    readonly int _batch, _heads, _headDim, _layers, _maxCapacity;
    readonly KvBuffer[] _current, _next;          // [layer * 2 + (0 = K, 1 = V)]
    readonly List<OrtValue> _views = [];
    bool _sharedBound;

    /// <summary>True for the shared-buffer way, false for ping-pong.</summary>
    public bool Shared { get; }

    /// <param name="model">The model (names, KV type, layer and head counts).</param>
    /// <param name="batch">Rows.</param>
    /// <param name="initialCapacity">Positions to allocate at first.</param>
    /// <param name="maxCapacity">The most positions a row can ever need (growth stops there).</param>
    /// <param name="shared">Use the shared-buffer way (only valid for GroupQueryAttention graphs).</param>
    public KvCache(Model model, int batch, int initialCapacity, int maxCapacity, bool shared)
    {
        _model = model;
        _batch = batch;
        _heads = model.Config.Decoder.NumKeyValueHeads;
        _headDim = model.Config.Decoder.HeadSize;
        _layers = model.Config.Decoder.NumHiddenLayers;
        _maxCapacity = maxCapacity;
        Shared = shared;
        var capacity = Math.Min(initialCapacity, maxCapacity);
        _current = Allocate(capacity);
        _next = shared ? [] : Allocate(capacity);
    }

    KvBuffer[] Allocate(int capacity) =>
        Enumerable.Range(0, _layers * 2).Select(_ => KvBuffer.Allocate(_model.KvType, _batch * _heads, capacity, _headDim)).ToArray();

    /// <summary>Binds past and present for a run that reads <paramref name="pastLength"/> positions and leaves <paramref name="totalLength"/>.</summary>
    public void Bind(OrtIoBinding binding, int pastLength, int totalLength)
    {
        if (totalLength > _maxCapacity)
            throw new InvalidOperationException($"KV cache asked for {totalLength} positions, more than the {_maxCapacity} it was sized for");
        if (Shared)
        {
            if (_sharedBound && _current[0].Capacity >= totalLength) return;   // bound once; GQA writes in place
            if (_current[0].Capacity < totalLength)
            {
                var capacity = Math.Min(_maxCapacity, Math.Max(totalLength, _current[0].Capacity * 2));
                for (var i = 0; i < _current.Length; i++)
                    _current[i] = _current[i].Grow(_batch * _heads, capacity, _headDim, Math.Min(pastLength, _current[i].Capacity));
            }
            DisposeViews();
            for (var l = 0; l < _layers; l++)
            {
                var k = View(_current[2 * l], _current[2 * l].Capacity);
                var v = View(_current[2 * l + 1], _current[2 * l + 1].Capacity);
                binding.BindInput(_model.PastKeys[l], k);
                binding.BindOutput(_model.PresentKeys[l], k);
                binding.BindInput(_model.PastValues[l], v);
                binding.BindOutput(_model.PresentValues[l], v);
            }
            _sharedBound = true;
            return;
        }

        DisposeViews();
        for (var i = 0; i < _next.Length; i++)
            if (_next[i].Capacity < totalLength)
                _next[i] = KvBuffer.Allocate(_model.KvType, _batch * _heads, Math.Min(_maxCapacity, Math.Max(totalLength, _next[i].Capacity * 2)), _headDim);
        for (var l = 0; l < _layers; l++)
        {
            binding.BindInput(_model.PastKeys[l], View(_current[2 * l], pastLength));
            binding.BindInput(_model.PastValues[l], View(_current[2 * l + 1], pastLength));
            binding.BindOutput(_model.PresentKeys[l], View(_next[2 * l], totalLength));
            binding.BindOutput(_model.PresentValues[l], View(_next[2 * l + 1], totalLength));
        }
    }

    /// <summary>After a run: in ping-pong, what was written (present) becomes what is read next (past).</summary>
    public void AfterRun()
    {
        if (Shared) return;
        for (var i = 0; i < _current.Length; i++) (_current[i], _next[i]) = (_next[i], _current[i]);
    }

    OrtValue View(KvBuffer buffer, int length)
    {
        var v = buffer.View(_batch, _heads, length, _headDim);
        _views.Add(v);
        return v;
    }

    void DisposeViews()
    {
        foreach (var v in _views) v.Dispose();   // the binding keeps its own reference until rebound
        _views.Clear();
    }

    public void Dispose() => DisposeViews();
}

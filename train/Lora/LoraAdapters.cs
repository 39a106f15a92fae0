using Toolkit.Train.Model;
using TorchSharp;
using static TorchSharp.torch;
using TorchSharp.Modules;
using F = TorchSharp.torch.nn.functional;

namespace Toolkit.Train.Lora;

/// <summary>
/// A set of LoRA adapters attached to one <see cref="Decoder"/>: for each targeted projection, A (r, in) and B (out, r)
/// such that the projection computes W·x + b + (alpha/r)·B·A·dropout(x) (see <see cref="Decoder.Linear"/>).
/// <list type="bullet">
/// <item>Created with <see cref="Attach"/> (fresh, PEFT's initialization: A kaiming-uniform with a = √5, B zeros, so the
/// first forward equals the base model's) or loaded from a PEFT folder with <see cref="PeftAdapter.Load"/>.</item>
/// <item>Attaching freezes every base weight (requires_grad false); <see cref="Parameters"/> are the only trainable tensors.</item>
/// <item><c>using (adapters.Disable()) { ... }</c> runs the same decoder as the base model: with a fresh adapter set that
/// is the DPO reference (TRL's <c>use_adapter(model, None)</c>), at no extra memory.</item>
/// <item>The set owns its A and B tensors (outside any dispose scope); <see cref="Dispose"/> frees them and detaches the
/// set from its decoder.</item>
/// </list>
/// </summary>
public sealed class LoraAdapters : IDisposable
{
    /// <summary>A and B of one adapted projection.</summary>
    public sealed record Pair(LoraTarget Target, Tensor A, Tensor B);

    readonly Dictionary<string, Pair> pairs = new(StringComparer.Ordinal);
    readonly List<Pair> ordered = [];

    /// <summary>The decoder the set is attached to (until disposed or merged).</summary>
    public Decoder Model { get; }

    /// <summary>Rank, alpha, dropout and targets.</summary>
    public LoraConfig Config { get; }

    /// <summary>The factor applied to B·A (alpha/r, or alpha/√r with rsLoRA).</summary>
    public double Scaling => Config.Scaling;

    /// <summary>When false the decoder computes the base model (adapters skipped). Prefer the <see cref="Disable"/> scope.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Training mode: adapter dropout is applied only while true (as PyTorch's <c>module.train()</c>). Default true.</summary>
    public bool Training { get; set; } = true;

    /// <summary>True after <see cref="LoraMerge.MergeAndUnload"/> folded the set into the base weights.</summary>
    public bool IsMerged { get; internal set; }

    /// <summary>The adapted projections in the decoder's order.</summary>
    public IReadOnlyList<Pair> Pairs => ordered;

    /// <summary>Trainable tensors for the optimizer: A then B of each projection, in the decoder's order.</summary>
    public IReadOnlyList<Tensor> Parameters => ordered.SelectMany(p => new[] { p.A, p.B }).ToList();

    /// <summary>Tensors under PEFT's state-dict names (<see cref="PeftAdapter.KeyA"/>, <see cref="PeftAdapter.KeyB"/>).</summary>
    public IReadOnlyList<(string Name, Tensor Tensor)> NamedParameters =>
        ordered.SelectMany(p => new[] { (PeftAdapter.KeyA(p.Target.Module), p.A), (PeftAdapter.KeyB(p.Target.Module), p.B) }).ToList();

    LoraAdapters(Decoder model, LoraConfig config)
    {
        Model = model;
        Config = config;
    }

    /// <summary>
    /// Creates fresh adapters for <paramref name="model"/> and attaches them: A ~ U(−1/√in, 1/√in) (kaiming-uniform with
    /// a = √5, as PEFT and nn.Linear), B = 0. With <paramref name="seed"/> the global libtorch generator is reseeded first.
    /// Adapters are float32 by default; the decoder casts its input to their dtype and the result back.
    /// </summary>
    public static LoraAdapters Attach(Decoder model, LoraConfig config, long? seed = null, ScalarType dtype = ScalarType.Float32)
    {
        var targets = LoraTargets.Resolve(config, model.Config);
        if (seed is { } s) torch.manual_seed(s);
        var set = new LoraAdapters(model, config);
        using (torch.no_grad())
        using (var scope = torch.NewDisposeScope())
            foreach (var t in targets)
            {
                var bound = 1.0 / Math.Sqrt(t.In);                                          // gain √(2/(1+5)) · √(3/in)
                var a = torch.rand([config.R, t.In]).mul(2 * bound).sub(bound).to(dtype);   // (r, in)
                var b = torch.zeros([t.Out, config.R], dtype);                              // (out, r)
                set.Add(t, a.DetachFromDisposeScope(), b.DetachFromDisposeScope());
            }
        set.AttachToModel();
        return set;
    }

    /// <summary>Builds a set from tensors already shaped (r, in) and (out, r), taking ownership of them; used by the loader.</summary>
    internal static LoraAdapters FromTensors(Decoder model, LoraConfig config, IEnumerable<(LoraTarget Target, Tensor A, Tensor B)> tensors)
    {
        var set = new LoraAdapters(model, config);
        foreach (var (t, a, b) in tensors) set.Add(t, a, b);
        set.AttachToModel();
        return set;
    }

    void Add(LoraTarget target, Tensor a, Tensor b)
    {
        var p = new Pair(target, new Parameter(a, requires_grad: true), new Parameter(b, requires_grad: true));   // a, b now invalid
        pairs.Add(target.Module, p);
        ordered.Add(p);
    }

    void AttachToModel()
    {
        if (Model.Adapters is not null)
        {
            Dispose();
            throw new InvalidOperationException("this decoder already carries a LoRA adapter set. HINT: dispose it (or merge it) before attaching another");
        }
        foreach (var (_, w) in Model.Weights.All) w.requires_grad = false;   // PEFT freezes the base model
        Model.Adapters = this;
    }

    /// <summary>
    /// Turns the adapters off until the returned scope is disposed (then restores the previous state). The decoder then
    /// computes the base model: the right DPO reference for a fresh adapter only. When training continues a loaded
    /// adapter, the reference is that adapter's initial state (TRL's frozen "ref" adapter; trl#1365): precompute the
    /// reference log-probs before the first step, or load a second copy, instead of disabling.
    /// </summary>
    public IDisposable Disable()
    {
        var previous = Enabled;
        Enabled = false;
        return new Restore(() => Enabled = previous);
    }

    /// <summary>Whether <paramref name="module"/> carries an adapter.</summary>
    public bool Has(string module) => pairs.ContainsKey(module);

    /// <summary>A and B of <paramref name="module"/> (e.g. <c>model.layers.0.self_attn.q_proj</c>).</summary>
    public Pair this[string module] => pairs[module];

    /// <summary>
    /// <paramref name="y"/> (…, out) = the base projection of <paramref name="x"/> (…, in), plus the low-rank term when the
    /// set is enabled and adapts <paramref name="module"/>: y + (alpha/r)·(dropout(x)·Aᵀ)·Bᵀ, computed in the adapters'
    /// dtype and cast back to y's. Returns <paramref name="y"/> itself when nothing applies.
    /// </summary>
    public Tensor Apply(string module, Tensor x, Tensor y)
    {
        if (!Enabled || IsMerged || !pairs.TryGetValue(module, out var p)) return y;
        var h = x.dtype == p.A.dtype ? x : x.to(p.A.dtype);                                 // (…, in)
        if (Training && Config.Dropout > 0) h = F.dropout(h, Config.Dropout, training: true);
        var delta = F.linear(F.linear(h, p.A), p.B).mul(Scaling);                           // (…, r) → (…, out)
        return y.add(delta.dtype == y.dtype ? delta : delta.to(y.dtype));
    }

    /// <summary>Frees A and B and detaches the set from its decoder.</summary>
    public void Dispose()
    {
        if (ReferenceEquals(Model.Adapters, this)) Model.Adapters = null;
        foreach (var p in ordered)
        {
            p.A.Dispose();
            p.B.Dispose();
        }
        ordered.Clear();
        pairs.Clear();
    }

    sealed class Restore(Action restore) : IDisposable
    {
        bool done;

        public void Dispose()
        {
            if (done) return;
            done = true;
            restore();
        }
    }
}

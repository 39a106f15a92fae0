using Toolkit.Core.Checkpoints;
using Toolkit.Train.Engine;
using Toolkit.Train.Lora;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Toolkit.Train.Model;

/// <summary>
/// The Llama-family decoder as Hugging Face defines it (LlamaForCausalLM; Qwen2 adds q/k/v biases; Mistral is the same
/// graph): token embedding → N × [RMSNorm → grouped-query attention with rotary → residual → RMSNorm → SwiGLU MLP →
/// residual] → RMSNorm → lm_head (tied to the embedding or not).
/// Shapes: B batch, T new tokens, P cached positions, S = P + T keys, H query heads, G KV heads, D head dim, E hidden, V vocab.
/// Every call returns fresh tensors; wrap calls in a dispose scope. The decoder owns its weights and rotary tables.
/// Every projection goes through <see cref="Linear"/>, where an attached LoRA set (<see cref="Adapters"/>) adds its term.
/// </summary>
public sealed class Decoder : IDisposable
{
    public ModelConfig Config { get; }
    public DecoderWeights Weights { get; }
    readonly Rotary rotary;

    /// <summary>The LoRA adapters attached to this decoder, or null (set by <see cref="LoraAdapters.Attach"/>; not owned).</summary>
    public LoraAdapters? Adapters { get; set; }

    /// <summary>
    /// Gradient checkpointing (transformers' <c>gradient_checkpointing</c>): under grad mode each decoder layer keeps only
    /// its (B, T, E) input for backward and recomputes its activations there (<see cref="ActivationCheckpoint"/>), and
    /// <see cref="Losses.CompletionLogps"/> recomputes each lm_head chunk's logits. Costs about one more forward per step;
    /// saves the layers' activations (~16·E + 4·F floats per token per layer) and the (N, V) float32 log-softmax; the
    /// training forward then also returns its freed heap to the OS (<see cref="HeapTrim"/>).
    /// No effect under <c>no_grad</c> or with a KV cache.
    /// </summary>
    public bool GradientCheckpointing { get; set; }

    public Decoder(DecoderWeights weights)
    {
        Config = weights.Config;
        Weights = weights;
        rotary = new Rotary(Config);
    }

    /// <summary>Logits (B, T, V) for <paramref name="inputIds"/>; see <see cref="Hidden"/> for the arguments.</summary>
    public Tensor Forward(Tensor inputIds, Tensor? attentionMask = null, Tensor? positionIds = null, Tensor? allowed = null, KvCache? cache = null) =>
        Logits(Hidden(inputIds, attentionMask, positionIds, allowed, cache));

    /// <summary>lm_head: (…, E) → (…, V).</summary>
    public Tensor Logits(Tensor hidden) => Linear(hidden, "lm_head");

    /// <summary>
    /// The projection <paramref name="module"/> (HF name without ".weight", e.g. <c>model.layers.0.mlp.up_proj</c> or
    /// <c>lm_head</c>, which falls back to the tied embedding): x·Wᵀ + b, (…, in) → (…, out), plus the low-rank term of
    /// <see cref="Adapters"/> when they are enabled and adapt this module.
    /// </summary>
    public Tensor Linear(Tensor x, string module)
    {
        var weight = module == "lm_head" ? Weights.Get("lm_head.weight") ?? Weights["model.embed_tokens.weight"] : Weights[module + ".weight"];
        var y = F.linear(x, weight, Weights.Get(module + ".bias"));
        return Adapters is null ? y : Adapters.Apply(module, x, y);
    }

    /// <summary>
    /// Final hidden states (B, T, E), after the last RMSNorm.
    /// <paramref name="inputIds"/> (B, T) int64. <paramref name="attentionMask"/> (B, S) 1 = real token, 0 = padding
    /// (covers cached positions too). <paramref name="positionIds"/> (B, T) int64; by default the count of real tokens
    /// before each position (so left padding works), or P..P+T-1 without a mask. <paramref name="allowed"/> (B, T, S) bool
    /// overrides the causal + padding rule (e.g. packed sequences whose segments must not see each other).
    /// <paramref name="cache"/> receives this call's keys and values and supplies the earlier ones.
    /// </summary>
    public Tensor Hidden(Tensor inputIds, Tensor? attentionMask = null, Tensor? positionIds = null, Tensor? allowed = null, KvCache? cache = null)
    {
        var c = Config;
        long b = inputIds.size(0), t = inputIds.size(1), past = cache?.Length ?? 0;
        positionIds ??= DefaultPositions(b, t, past, attentionMask);
        allowed ??= CausalMask(t, past, attentionMask);                       // (B or 1, T, S)
        // Additive mask for SDPA: 0 where allowed, a large finite negative where blocked (finite, so a fully blocked
        // padding row gets uniform weights as before, never NaN; representable in bf16 under autocast).
        var bias = torch.zeros(allowed.shape, ScalarType.Float32).masked_fill(allowed.logical_not(), MaskedScore).unsqueeze(1); // (B, 1, T, S)
        var (cos, sin) = rotary.Tables(positionIds);                          // (B, 1, T, D)

        var embed = Weights["model.embed_tokens.weight"];
        var h = embed.index_select(0, inputIds.flatten()).view(b, t, embed.size(1));  // (B, T, E)
        var checkpoint = GradientCheckpointing && cache is null && torch.is_grad_enabled();
        for (var i = 0; i < c.NumHiddenLayers; i++)
        {
            var layer = i;
            h = checkpoint
                ? ActivationCheckpoint.Run((x, ctx) => Layer(layer, x, ctx[0], ctx[1], ctx[2], null), h, cos, sin, bias)
                : Layer(layer, h, cos, sin, bias, cache);
        }
        return RmsNorm(h, Weights["model.norm.weight"], c.RmsNormEps);
    }

    /// <summary>
    /// Decoder layer <paramref name="i"/>: h + attention(RMSNorm(h)), then + SwiGLU MLP(RMSNorm(·)); (B, T, E) → (B, T, E).
    /// <paramref name="cos"/>/<paramref name="sin"/> (B, 1, T, D) rotary tables, <paramref name="bias"/> (B or 1, 1, T, S)
    /// additive mask. The layer's intermediates are freed when it returns (autograd keeps what backward needs).
    /// </summary>
    Tensor Layer(int i, Tensor h, Tensor cos, Tensor sin, Tensor bias, KvCache? cache)
    {
        var c = Config;
        long b = h.size(0), t = h.size(1);
        using var scope = torch.NewDisposeScope();
        var p = $"model.layers.{i}.";
        // 1) attention block
        var x = RmsNorm(h, Weights[p + "input_layernorm.weight"], c.RmsNormEps);
        var q = Linear(x, p + "self_attn.q_proj").view(b, t, c.NumAttentionHeads, c.HeadDim).transpose(1, 2);  // (B, H, T, D)
        var k = Linear(x, p + "self_attn.k_proj").view(b, t, c.NumKeyValueHeads, c.HeadDim).transpose(1, 2);  // (B, G, T, D)
        var v = Linear(x, p + "self_attn.v_proj").view(b, t, c.NumKeyValueHeads, c.HeadDim).transpose(1, 2);  // (B, G, T, D)
        q = Rotary.Apply(q, cos, sin);
        k = Rotary.Apply(k, cos, sin);
        if (cache is not null) (k, v) = cache.Append(i, k, v);                                              // (B, G, S, D)
        var attn = Attention(q, k, v, bias);                                                              // (B, T, H·D)
        h = h.add(Linear(attn, p + "self_attn.o_proj"));
        // 2) SwiGLU MLP block: down(silu(gate(x)) * up(x))
        x = RmsNorm(h, Weights[p + "post_attention_layernorm.weight"], c.RmsNormEps);
        var gate = Linear(x, p + "mlp.gate_proj").silu();                                                   // (B, T, F)
        var up = Linear(x, p + "mlp.up_proj");
        return h.add(Linear(gate.mul(up), p + "mlp.down_proj")).MoveToOuterDisposeScope();                       // (B, T, E)
    }

    /// <summary>The additive attention bias of a blocked key (see <see cref="Attention"/>).</summary>
    const float MaskedScore = -1e30f;

    /// <summary>
    /// softmax(q·kᵀ/√D + bias)·v with K/V heads shared by H/G query heads, through libtorch's
    /// <c>scaled_dot_product_attention</c> (its scale is 1/√D of q's last dimension, which is ours; TorchSharp 0.107 has
    /// no GQA broadcast, so K/V are repeated here). <paramref name="bias"/> (B or 1, 1, T, S) float32, 0 or
    /// <see cref="MaskedScore"/>; cast to q's dtype (bf16 under autocast). float32 inputs: float32 scores and softmax.
    /// </summary>
    Tensor Attention(Tensor q, Tensor k, Tensor v, Tensor bias)
    {
        var groups = Config.NumAttentionHeads / Config.NumKeyValueHeads;
        if (groups > 1)
        {
            k = k.repeat_interleave(groups, 1);                                   // (B, H, S, D)
            v = v.repeat_interleave(groups, 1);
        }
        if (k.dtype != q.dtype) k = k.to(q.dtype);
        if (v.dtype != q.dtype) v = v.to(q.dtype);
        var o = F.scaled_dot_product_attention(q, k, v, bias.dtype == q.dtype ? bias : bias.to(q.dtype)).transpose(1, 2); // (B, T, H, D)
        return o.reshape(o.size(0), o.size(1), -1);                               // (B, T, H·D)
    }

    /// <summary>RMSNorm (Zhang &amp; Sennrich 2019): w · x / sqrt(mean(x²) + eps), computed in float32 as transformers does.</summary>
    public static Tensor RmsNorm(Tensor x, Tensor weight, double eps)
    {
        var xf = x.to(ScalarType.Float32);
        var y = xf.mul(xf.pow(2).mean([-1], keepdim: true).add(eps).rsqrt());
        return weight.mul(y.to(weight.dtype));
    }

    /// <summary>(B, T) positions: real tokens counted from 0 (padding gets 1, as transformers' generate does), or P..P+T-1.</summary>
    static Tensor DefaultPositions(long b, long t, long past, Tensor? attentionMask)
    {
        if (attentionMask is null) return torch.arange(past, past + t, 1, ScalarType.Int64).unsqueeze(0).expand(b, t);
        var m = attentionMask.to(ScalarType.Int64);
        var pos = m.cumsum(-1).sub(1).masked_fill(m.eq(0), 1);                   // (B, S)
        return pos.narrow(1, past, t);
    }

    /// <summary>(B or 1, T, S) bool: query i (absolute position P+i) may see key j when j ≤ P+i and key j is not padding.</summary>
    public static Tensor CausalMask(long t, long past, Tensor? attentionMask)
    {
        var s = past + t;
        var qpos = torch.arange(past, past + t, 1, ScalarType.Int64).unsqueeze(1);                  // (T, 1)
        var kpos = torch.arange(0, s, 1, ScalarType.Int64).unsqueeze(0);                                  // (1, S)
        var causal = kpos.le(qpos).unsqueeze(0);                                  // (1, T, S)
        if (attentionMask is null) return causal;
        return causal.logical_and(attentionMask.ne(0).unsqueeze(1));              // (B, T, S)
    }

    public void Dispose()
    {
        rotary.Dispose();
        Weights.Dispose();
    }
}

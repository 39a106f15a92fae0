using System.Text.RegularExpressions;
using Toolkit.Core.Checkpoints;

namespace Toolkit.Train.Lora;

/// <summary>One adapted projection: its HF module name (<c>model.layers.0.self_attn.q_proj</c>) and weight shape (out, in).</summary>
public sealed record LoraTarget(string Module, long In, long Out);

/// <summary>
/// Resolves <see cref="LoraConfig.TargetModules"/> against a decoder's linear layers with PEFT's matching rules
/// (exact name or "." suffix; a regex string must match the whole name; "all-linear" excludes lm_head).
/// </summary>
public static class LoraTargets
{
    /// <summary>Every linear projection of <paramref name="c"/>, in the decoder's order (layer by layer, then lm_head).</summary>
    public static IReadOnlyList<LoraTarget> Linears(ModelConfig c)
    {
        long h = c.HiddenSize, q = (long)c.NumAttentionHeads * c.HeadDim, kv = (long)c.NumKeyValueHeads * c.HeadDim, f = c.IntermediateSize;
        var all = new List<LoraTarget>();
        for (var i = 0; i < c.NumHiddenLayers; i++)
        {
            var p = $"model.layers.{i}.";
            all.Add(new(p + "self_attn.q_proj", h, q));
            all.Add(new(p + "self_attn.k_proj", h, kv));
            all.Add(new(p + "self_attn.v_proj", h, kv));
            all.Add(new(p + "self_attn.o_proj", q, h));
            all.Add(new(p + "mlp.gate_proj", h, f));
            all.Add(new(p + "mlp.up_proj", h, f));
            all.Add(new(p + "mlp.down_proj", f, h));
        }
        all.Add(new("lm_head", h, c.VocabSize));
        return all;
    }

    /// <summary>The projections <paramref name="config"/> selects in a decoder of <paramref name="model"/>; refuses entries that select nothing.</summary>
    public static IReadOnlyList<LoraTarget> Resolve(LoraConfig config, ModelConfig model)
    {
        config.Validate();
        var linears = Linears(model);
        List<LoraTarget> chosen;
        if (config.TargetModulesRegex is { } pattern)
        {
            var regex = new Regex($"^(?:{pattern})$", RegexOptions.CultureInvariant);
            chosen = linears.Where(t => regex.IsMatch(t.Module)).ToList();
            if (chosen.Count == 0)
                throw new ArgumentException($"LoRA target_modules regex '{pattern}' matches no linear layer of this {model.ModelType} decoder " +
                    $"(names look like {linears[0].Module}). HINT: the pattern must match the whole module name");
        }
        else if (config.TargetModules is [LoraConfig.AllLinear])
            chosen = linears.Where(t => t.Module != "lm_head").ToList();
        else
        {
            foreach (var name in config.TargetModules)
                if (!linears.Any(t => Matches(t.Module, name)))
                    throw new ArgumentException($"LoRA target_modules entry '{name}' matches no linear layer of this {model.ModelType} decoder. " +
                        $"HINT: its projections are {string.Join(", ", LoraConfig.DecoderLinears)} and lm_head");
            chosen = linears.Where(t => config.TargetModules.Any(name => Matches(t.Module, name))).ToList();
        }
        if (model.TieWordEmbeddings && chosen.Any(t => t.Module == "lm_head"))
            throw new ArgumentException("LoRA on lm_head: this model ties lm_head to the token embedding (tie_word_embeddings), so merging " +
                "the adapter would change the embedding too. HINT: drop lm_head from target_modules");
        return chosen;
    }

    /// <summary>PEFT's list rule: the full name equals the entry or ends with "." + entry.</summary>
    static bool Matches(string module, string entry) => module == entry || module.EndsWith("." + entry, StringComparison.Ordinal);
}

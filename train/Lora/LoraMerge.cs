using Toolkit.Core.Checkpoints;
using Toolkit.Train.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace Toolkit.Train.Lora;

/// <summary>
/// Folds LoRA adapters into their decoder's base weights, W' = W + scaling·B·A (PEFT's <c>merge_and_unload</c>), so the
/// result is a plain model that every HF-compatible reader (and our exporter) takes without knowing about adapters.
/// </summary>
public static class LoraMerge
{
    /// <summary>
    /// Adds scaling·B·A to each adapted weight in place (computed in float32, stored back in the weight's dtype), then
    /// detaches the adapters from the decoder: its forward now equals the adapted forward without the low-rank path.
    /// The adapters keep their tensors (they can still be saved as a PEFT folder) but can no longer be enabled.
    /// </summary>
    public static void MergeAndUnload(LoraAdapters adapters)
    {
        if (adapters.IsMerged) throw new InvalidOperationException("these LoRA adapters are already merged into their decoder's weights");
        var weights = adapters.Model.Weights;
        using (torch.no_grad())
            foreach (var p in adapters.Pairs)
            {
                using var scope = torch.NewDisposeScope();
                var w = p.Target.Module == "lm_head" ? weights["lm_head.weight"] : weights[p.Target.Module + ".weight"];  // (out, in)
                var delta = p.B.to(ScalarType.Float32).Matmul(p.A.to(ScalarType.Float32)).mul(adapters.Scaling);         // (out, r)·(r, in)
                w.copy_(w.to(ScalarType.Float32).add(delta).to(w.dtype));
            }
        adapters.IsMerged = true;
        if (ReferenceEquals(adapters.Model.Adapters, adapters)) adapters.Model.Adapters = null;
    }

    /// <summary>
    /// Merges <paramref name="adapters"/> into their decoder (<see cref="MergeAndUnload"/>) and writes the result as an HF
    /// checkpoint folder (config.json, model.safetensors or shards, generation_config.json when given) with tensors
    /// stored as <paramref name="dtype"/>. Returns the file names written.
    /// </summary>
    public static IReadOnlyList<string> SaveMerged(LoraAdapters adapters, string folder, GenerationConfig? generation = null, ScalarType dtype = ScalarType.Float32)
    {
        MergeAndUnload(adapters);
        using var scope = torch.NewDisposeScope();   // frees the per-tensor copies the writer makes
        return adapters.Model.Weights.Save(folder, generation, dtype);
    }
}

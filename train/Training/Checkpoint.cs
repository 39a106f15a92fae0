using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Toolkit.Train.Training;

/// <summary>
/// Resumable checkpoints, <c>output_dir/checkpoint-N/</c> (N = optimizer steps completed), each holding:
/// the model as the final output would be (HF folder or PEFT adapter, with tokenizer files), <c>trainable.pt</c>
/// (the trainable tensors, bit-exact), <c>optimizer-decay.pt</c> / <c>optimizer-nodecay.pt</c> (AdamW moments and
/// step counts of the two parameter groups), and <c>trainer_state.json</c> (step, data position, early-stopping state).
/// The schedule is a function of the step and the RNG is re-seeded with seed + step at every step, so neither needs
/// state. Written into <c>checkpoint-N.tmp</c> and renamed: a folder named checkpoint-N is always complete.
/// </summary>
public static class Checkpoint
{
    /// <summary>trainer_state.json.</summary>
    public const string StateFile = "trainer_state.json";

    /// <summary>The folder name of the checkpoint after <paramref name="step"/> steps.</summary>
    public static string Name(int step) => $"checkpoint-{step}";

    /// <summary>Complete checkpoints in <paramref name="outputDir"/>, oldest first.</summary>
    public static List<(int Step, string Path)> List(string outputDir)
    {
        if (!Directory.Exists(outputDir)) return [];
        return [.. Directory.GetDirectories(outputDir, "checkpoint-*")
            .Select(d => (ok: int.TryParse(Path.GetFileName(d)["checkpoint-".Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var n), n, d))
            .Where(x => x.ok && File.Exists(Path.Combine(x.d, StateFile)))
            .Select(x => (x.n, x.d))
            .OrderBy(x => x.n)];
    }

    /// <summary>Resolves resume_from_checkpoint: "latest" → the newest complete checkpoint in <paramref name="outputDir"/>, else the folder given.</summary>
    public static string Resolve(string value, string outputDir)
    {
        if (value == "latest")
            return List(outputDir).LastOrDefault().Path ?? throw new ArgumentException(
                $"resume_from_checkpoint latest: '{outputDir}' holds no complete checkpoint-N folder. HINT: start without --resume, or point --out at the run to continue");
        if (!File.Exists(Path.Combine(value, StateFile)))
            throw new ArgumentException($"resume_from_checkpoint '{value}' is not a checkpoint folder (no {StateFile}). HINT: give output_dir/checkpoint-N or 'latest'");
        return value;
    }

    /// <summary>Writes checkpoint-<paramref name="step"/> atomically; <paramref name="writeContents"/> fills the temporary folder.</summary>
    public static string Save(string outputDir, int step, JsonObject state, Action<string> writeContents, int keep)
    {
        var final = Path.Combine(outputDir, Name(step));
        var tmp = final + ".tmp";
        if (Directory.Exists(tmp)) Directory.Delete(tmp, recursive: true);
        Directory.CreateDirectory(tmp);
        writeContents(tmp);
        File.WriteAllText(Path.Combine(tmp, StateFile), state.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        if (Directory.Exists(final)) Directory.Delete(final, recursive: true);
        Directory.Move(tmp, final);
        if (keep > 0)
            foreach (var (_, old) in List(outputDir).SkipLast(keep)) Directory.Delete(old, recursive: true);
        return final;
    }

    /// <summary>Reads a checkpoint's trainer_state.json.</summary>
    public static JsonObject ReadState(string folder) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(folder, StateFile)))!.AsObject();
}

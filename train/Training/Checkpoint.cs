using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Toolkit.Train.Training;

/// <summary>
/// Resumable checkpoints, <c>output_dir/checkpoint-N/</c> (N = optimizer steps completed), each holding:
/// the model as the final output would be (HF folder or PEFT adapter, with tokenizer files), <c>trainable.safetensors</c>
/// (the trainable tensors, bit-exact, our safetensors writer), <c>optimizer.bin</c> (the one AdamW's moments and step
/// counts for its two parameter groups, TorchSharp's <c>save_state_dict</c> format), and <c>trainer_state.json</c>
/// (step, data position, early-stopping state, <see cref="VersionKey"/>). Version 1 (libtorch 1.13 pickles,
/// <c>trainable.pt</c>, two optimizers) is refused by <see cref="ReadState"/>.
/// The schedule is a function of the step and the RNG is re-seeded with seed + step at every step, so neither needs
/// state. Written into <c>checkpoint-N.tmp</c> and renamed: a folder named checkpoint-N is always complete.
/// </summary>
public static class Checkpoint
{
    /// <summary>trainer_state.json.</summary>
    public const string StateFile = "trainer_state.json";

    /// <summary>The trainable tensors (safetensors, bit-exact).</summary>
    public const string TrainableFile = "trainable.safetensors";

    /// <summary>The AdamW state (TorchSharp's optimizer state format).</summary>
    public const string OptimizerFile = "optimizer.bin";

    /// <summary>The key in trainer_state.json that holds <see cref="Version"/>.</summary>
    public const string VersionKey = "checkpoint_version";

    /// <summary>The checkpoint layout written now: 2 = TorchSharp engine (files above). Absent = 1 (libtorch 1.13 shim).</summary>
    public const int Version = 2;

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

    /// <summary>
    /// Resolves <paramref name="value"/> (see <see cref="Resolve"/>) and runs <paramref name="load"/> on it. With "latest",
    /// a checkpoint whose files cannot be read (a corrupt trainable.pt, say) is skipped for the previous complete one,
    /// and <paramref name="log"/> says which was used instead of which; a checkpoint named explicitly that cannot be
    /// read is an error naming it and offering the previous complete one. Returns the folder loaded.
    /// </summary>
    public static string ResumeFrom(string value, string outputDir, Action<string> load, Action<string>? log)
    {
        var candidates = value == "latest" ? [.. List(outputDir).Select(c => c.Path).Reverse()] : new List<string> { Resolve(value, outputDir) };
        if (candidates.Count == 0) Resolve(value, outputDir);   // throws: no complete checkpoint
        var failures = new List<(string Folder, Exception Error)>();
        foreach (var folder in candidates)
        {
            try
            {
                load(folder);
                foreach (var (_, e) in failures)
                    log?.Invoke($"WARNING: {e.Message}; resumed from the previous complete checkpoint {folder} instead");
                return folder;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                failures.Add((folder, e));
                if (value != "latest") break;
            }
        }
        var (first, error) = failures[0];
        var previous = List(outputDir).Select(c => c.Path).TakeWhile(p => p != first).LastOrDefault();
        throw new InvalidDataException($"cannot resume: {error.Message}" + (failures.Count > 1 ? $" (and {failures.Count - 1} older checkpoint(s) failed too)" : "") +
            (previous is not null && value != "latest" ? $". HINT: resume from the previous complete checkpoint with --resume {previous}" : ". HINT: start again without --resume (the checkpoints in the folder cannot be read)"), error);
    }

    /// <summary>Runs <paramref name="load"/> on <paramref name="file"/>; a failure becomes an error naming the file.</summary>
    public static void LoadFile(string file, Action<string> load)
    {
        if (!File.Exists(file)) throw new InvalidDataException($"checkpoint file {file} is missing");
        try { load(file); }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException($"checkpoint file {file} is corrupt or unreadable ({e.Message.Split('\n')[0].Trim()})", e);
        }
    }

    /// <summary>Writes checkpoint-<paramref name="step"/> atomically; <paramref name="writeContents"/> fills the temporary folder.</summary>
    public static string Save(string outputDir, int step, JsonObject state, Action<string> writeContents, int keep)
    {
        var final = Path.Combine(outputDir, Name(step));
        var tmp = final + ".tmp";
        if (Directory.Exists(tmp)) Directory.Delete(tmp, recursive: true);
        Directory.CreateDirectory(tmp);
        writeContents(tmp);
        Toolkit.Core.Checkpoints.AtomicFile.WriteAllText(Path.Combine(tmp, StateFile), state.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        if (Directory.Exists(final)) Directory.Delete(final, recursive: true);
        Directory.Move(tmp, final);
        if (keep > 0)
            foreach (var (_, old) in List(outputDir).SkipLast(keep)) Directory.Delete(old, recursive: true);
        return final;
    }

    /// <summary>
    /// Reads a checkpoint's trainer_state.json; throws <see cref="InvalidDataException"/> naming the file when its
    /// <see cref="VersionKey"/> is not <see cref="Version"/> (an older engine's checkpoint cannot be resumed).
    /// </summary>
    public static JsonObject ReadState(string folder)
    {
        var path = Path.Combine(folder, StateFile);
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        var version = json[VersionKey] is JsonValue v && v.TryGetValue<int>(out var n) ? n : 1;
        if (version != Version)
            throw new InvalidDataException($"{path}: checkpoint version {version}, this toolkit resumes only version {Version} " +
                (version < Version ? "(written by the libtorch 1.13 engine before the move to TorchSharp; its optimizer state is a libtorch pickle). " +
                    "HINT: start a new run (the model in that folder loads as a normal checkpoint: --model " + folder + ")"
                : "(written by a newer toolkit). HINT: resume it with that toolkit"));
        return json;
    }
}

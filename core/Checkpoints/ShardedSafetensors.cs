using System.Text.Json;

namespace Toolkit.Core.Checkpoints;

/// <summary>
/// A sharded checkpoint read through its index (<c>model.safetensors.index.json</c>):
/// <code>{"metadata": {"total_size": n}, "weight_map": {"tensor.name": "model-00001-of-00003.safetensors", ...}}</code>
/// Presents the tensors the weight_map names as one name → tensor view (a tensor a shard holds but the map does not name
/// is not visible, as in transformers). Opening checks that each mapped file exists, lies in the index's
/// folder, is a valid safetensors file, and holds the tensors mapped to it. Disposing the view disposes every shard.
/// </summary>
public sealed class ShardedSafetensors : IWeightView
{
    /// <summary>The conventional index file name.</summary>
    public const string IndexFileName = "model.safetensors.index.json";

    readonly Dictionary<string, SafetensorsTensor> tensors;

    /// <summary>The shards, opened, in file-name order.</summary>
    public IReadOnlyList<SafetensorsFile> Shards { get; }

    /// <summary>The index's <c>metadata.total_size</c>, or null when absent.</summary>
    public long? TotalSize { get; }

    public string SourcePath { get; }

    public IReadOnlyList<string> Names { get; }

    ShardedSafetensors(string indexPath, IReadOnlyList<SafetensorsFile> shards, Dictionary<string, SafetensorsTensor> tensors, long? totalSize)
    {
        SourcePath = indexPath;
        Shards = shards;
        this.tensors = tensors;
        TotalSize = totalSize;
        Names = [.. tensors.Keys.Order(StringComparer.Ordinal)];
    }

    /// <summary>Opens the index at <paramref name="indexPath"/> and every shard it names.</summary>
    public static ShardedSafetensors Open(string indexPath)
    {
        var (weightMap, totalSize) = ReadIndex(indexPath);
        var folder = Path.GetDirectoryName(Path.GetFullPath(indexPath))!;
        var opened = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
        try
        {
            // 1) open each distinct shard once, refusing missing files with the tensors that needed them
            foreach (var group in weightMap.GroupBy(kv => kv.Value, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                var shardPath = Path.Combine(folder, group.Key);
                if (!File.Exists(shardPath))
                {
                    var names = group.Select(kv => kv.Key).Order(StringComparer.Ordinal).ToList();
                    throw new CheckpointException(shardPath,
                        $"index '{indexPath}' maps {names.Count} tensor(s) (e.g. '{names[0]}') to '{group.Key}', which does not exist in '{folder}'. " +
                        "HINT: the download is incomplete; fetch every file the index's weight_map names");
                }
                opened[group.Key] = SafetensorsFile.Open(shardPath);
            }

            // 2) every mapped tensor must be in its shard
            var tensors = new Dictionary<string, SafetensorsTensor>(StringComparer.Ordinal);
            foreach (var (name, file) in weightMap)
            {
                if (!opened[file].TryGet(name, out var t))
                    throw new SafetensorsException(opened[file].Path, name,
                        $"index '{indexPath}' maps this tensor to '{file}', but that shard does not hold it",
                        "the index and the shards come from different saves; download or export the checkpoint again");
                tensors[name] = t;
            }
            return new ShardedSafetensors(indexPath, [.. opened.Values], tensors, totalSize);
        }
        catch
        {
            foreach (var f in opened.Values) f.Dispose();
            throw;
        }
    }

    static (Dictionary<string, string> WeightMap, long? TotalSize) ReadIndex(string indexPath)
    {
        if (!File.Exists(indexPath))
            throw new CheckpointException(indexPath, $"index file '{indexPath}' does not exist. HINT: check the checkpoint folder");
        CheckpointException Bad(string problem) => new(indexPath, $"index file '{indexPath}': {problem}. HINT: the index is corrupt; download or export it again");
        JsonDocument doc;
        try { doc = JsonDocument.Parse(File.ReadAllBytes(indexPath)); }
        catch (JsonException e) { throw Bad($"not valid JSON (line {e.LineNumber + 1}: {e.Message})"); }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw Bad("the top level is not a JSON object");
            long? totalSize = null;
            if (root.TryGetProperty("metadata", out var md) && md.ValueKind == JsonValueKind.Object
                && md.TryGetProperty("total_size", out var ts) && ts.ValueKind == JsonValueKind.Number)
                totalSize = ts.TryGetInt64(out var v) ? v : (long)ts.GetDouble();
            if (!root.TryGetProperty("weight_map", out var wm) || wm.ValueKind != JsonValueKind.Object)
                throw Bad("field 'weight_map' is missing or not an object of tensor name -> file name");
            var map = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var kv in wm.EnumerateObject())
            {
                if (kv.Value.ValueKind != JsonValueKind.String) throw Bad($"field 'weight_map.{kv.Name}' is not a file name string");
                var file = kv.Value.GetString()!;
                if (file.Length == 0 || file.Contains('/') || file.Contains('\\') || file == "." || file == "..")
                    throw Bad($"field 'weight_map.{kv.Name}' names '{file}', not a plain file name in the index's folder");
                if (!map.TryAdd(kv.Name, file)) throw Bad($"field 'weight_map' names tensor '{kv.Name}' twice");
            }
            if (map.Count == 0) throw Bad("field 'weight_map' is empty");
            return (map, totalSize);
        }
    }

    public bool Contains(string name) => tensors.ContainsKey(name);

    public bool TryGet(string name, out SafetensorsTensor tensor) => tensors.TryGetValue(name, out tensor!);

    public SafetensorsTensor this[string name] => TryGet(name, out var t)
        ? t
        : throw new CheckpointException(SourcePath,
            $"tensor '{name}' is not in the weight_map of '{SourcePath}' ({tensors.Count} tensors in {Shards.Count} shards). " +
            "HINT: check the tensor name against the checkpoint's architecture");

    public void Dispose()
    {
        foreach (var s in Shards) s.Dispose();
    }
}

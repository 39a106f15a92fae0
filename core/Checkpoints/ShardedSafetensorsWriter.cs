using System.Text.Json;
using System.Text.RegularExpressions;

namespace Toolkit.Core.Checkpoints;

/// <summary>
/// Writes a checkpoint's weights the way HF <c>save_pretrained</c> does: tensors go, in the order given, into shards of
/// at most <c>maxShardBytes</c> (a tensor larger than that gets a shard of its own); one shard is written as
/// <c>model.safetensors</c> with no index, several as <c>model-00001-of-0000N.safetensors</c> plus
/// <c>model.safetensors.index.json</c>. Every file is written atomically; the index last, so a reader never sees an
/// index naming shards that are not there. Weight files of an earlier save in the folder that the new save does not
/// use (stale shards, a stale index or single file) are deleted afterwards, as transformers does.
/// </summary>
public static partial class ShardedSafetensorsWriter
{
    /// <summary>HF's default <c>max_shard_size</c>.</summary>
    public const long DefaultMaxShardBytes = 2_000_000_000;

    /// <summary>The single-file weights name.</summary>
    public const string SingleFileName = "model.safetensors";

    /// <summary>Metadata every shard carries; transformers refuses safetensors metadata without a "format".</summary>
    public static readonly IReadOnlyDictionary<string, string> PtMetadata = new Dictionary<string, string> { ["format"] = "pt" };

    [GeneratedRegex(@"^model-\d{5}-of-\d{5}\.safetensors$")]
    private static partial Regex ShardName();

    /// <summary>Writes <paramref name="tensors"/> into <paramref name="folder"/>; returns the weight file names written (index last).</summary>
    public static IReadOnlyList<string> Write(string folder, IReadOnlyList<ITensorData> tensors, long maxShardBytes = DefaultMaxShardBytes,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        if (maxShardBytes <= 0) throw new ArgumentOutOfRangeException(nameof(maxShardBytes), "the shard size limit must be positive");
        var duplicate = tensors.GroupBy(t => t.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"writing '{folder}': tensor '{duplicate.Key}' is given twice; names must be unique");
        metadata ??= PtMetadata;
        Directory.CreateDirectory(folder);

        var shards = Split(tensors, maxShardBytes);
        var written = new List<string>();
        if (shards.Count <= 1)
        {
            SafetensorsWriter.Write(Path.Combine(folder, SingleFileName), shards.Count == 0 ? [] : shards[0], metadata);
            written.Add(SingleFileName);
        }
        else
        {
            var weightMap = new SortedDictionary<string, string>(StringComparer.Ordinal);
            for (var i = 0; i < shards.Count; i++)
            {
                var name = $"model-{i + 1:D5}-of-{shards.Count:D5}.safetensors";
                SafetensorsWriter.Write(Path.Combine(folder, name), shards[i], metadata);
                foreach (var t in shards[i]) weightMap[t.Name] = name;
                written.Add(name);
            }
            WriteIndex(Path.Combine(folder, ShardedSafetensors.IndexFileName), tensors.Sum(t => t.ByteLength), weightMap);
            written.Add(ShardedSafetensors.IndexFileName);
        }
        RemoveStale(folder, written);
        return written;
    }

    /// <summary>HF's greedy split: start a new shard when the next tensor would push the current one past the limit.</summary>
    internal static List<List<ITensorData>> Split(IReadOnlyList<ITensorData> tensors, long maxShardBytes)
    {
        var shards = new List<List<ITensorData>>();
        List<ITensorData>? current = null;
        long size = 0;
        foreach (var t in tensors)
        {
            if (current is null || (current.Count > 0 && size + t.ByteLength > maxShardBytes))
            {
                current = [];
                shards.Add(current);
                size = 0;
            }
            current.Add(t);
            size += t.ByteLength;
        }
        return shards;
    }

    static void WriteIndex(string path, long totalSize, SortedDictionary<string, string> weightMap) =>
        SafetensorsWriter.WriteAtomically(path, stream =>
        {
            using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
            json.WriteStartObject();
            json.WriteStartObject("metadata");
            json.WriteNumber("total_size", totalSize);
            json.WriteEndObject();
            json.WriteStartObject("weight_map");
            foreach (var (k, v) in weightMap) json.WriteString(k, v);
            json.WriteEndObject();
            json.WriteEndObject();
            json.Flush();
            stream.WriteByte((byte)'\n');
        });

    static void RemoveStale(string folder, List<string> written)
    {
        foreach (var file in Directory.EnumerateFiles(folder))
        {
            var name = Path.GetFileName(file);
            var isWeights = name == SingleFileName || name == ShardedSafetensors.IndexFileName || ShardName().IsMatch(name);
            if (isWeights && !written.Contains(name)) File.Delete(file);
        }
    }
}

using System.Text.Json;
using Toolkit.Core.Checkpoints;

namespace Toolkit.Core.Tests.Checkpoints;

public class ShardedSafetensorsTests
{
    /// <summary>Ten F32 tensors of 400 bytes each plus one of 2000 bytes (bigger than the shard limit used below).</summary>
    static List<ITensorData> Layers()
    {
        var list = new List<ITensorData>();
        for (var i = 0; i < 10; i++)
            list.Add(TensorBytes.FromFloats($"model.layers.{i}.mlp.weight", [10, 10], Enumerable.Range(0, 100).Select(j => i * 1000f + j).ToArray()));
        list.Insert(5, TensorBytes.FromFloats("model.embed_tokens.weight", [500], Enumerable.Range(0, 500).Select(j => -j * 0.25f).ToArray()));
        return list;
    }

    [Fact]
    public void Sharded_write_then_read_presents_one_view_with_every_tensor_intact()
    {
        using var dir = new TempFolder();
        var tensors = Layers();
        var written = ShardedSafetensorsWriter.Write(dir.Path, tensors, maxShardBytes: 1000);

        // greedy split in the given order: [0,1] [2,3] [4] [embed alone: 2000 > 1000] [5,6] [7,8] [9]
        Assert.Equal(8, written.Count);
        Assert.Equal("model-00001-of-00007.safetensors", written[0]);
        Assert.Equal("model-00007-of-00007.safetensors", written[6]);
        Assert.Equal(ShardedSafetensors.IndexFileName, written[7]);

        using var view = ShardedSafetensors.Open(dir.File(ShardedSafetensors.IndexFileName));
        Assert.Equal(7, view.Shards.Count);
        Assert.Equal(tensors.Sum(t => t.ByteLength), view.TotalSize);
        Assert.Equal(tensors.Select(t => t.Name).Order(StringComparer.Ordinal), view.Names);
        foreach (var t in tensors.Cast<TensorBytes>())
            Assert.Equal(t.Bytes.ToArray(), view[t.Name].ToArray());
        Assert.EndsWith("model-00004-of-00007.safetensors", view["model.embed_tokens.weight"].FilePath);
        Assert.True(view.Shards.All(s => s.Metadata["format"] == "pt"));
        Assert.All(view.Shards, s => Assert.True(new FileInfo(s.Path).Length - s.Header.DataStart <= 1000 || s.Names.Count == 1));

        using var index = JsonDocument.Parse(File.ReadAllText(dir.File(ShardedSafetensors.IndexFileName)));
        Assert.Equal("model-00001-of-00007.safetensors", index.RootElement.GetProperty("weight_map").GetProperty("model.layers.1.mlp.weight").GetString());
    }

    [Fact]
    public void One_shard_is_written_as_model_safetensors_without_index_and_stale_files_are_removed()
    {
        using var dir = new TempFolder();
        ShardedSafetensorsWriter.Write(dir.Path, Layers(), maxShardBytes: 1000);
        File.WriteAllText(dir.File("tokenizer.json"), "{}");
        var written = ShardedSafetensorsWriter.Write(dir.Path, Layers(), maxShardBytes: ByteSize.Parse("2GB"));
        Assert.Equal([ShardedSafetensorsWriter.SingleFileName], written);
        Assert.Equal(["model.safetensors", "tokenizer.json"], Directory.GetFiles(dir.Path).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void Missing_shard_is_named_with_a_tensor_that_needs_it()
    {
        using var dir = new TempFolder();
        ShardedSafetensorsWriter.Write(dir.Path, Layers(), maxShardBytes: 1000);
        File.Delete(dir.File("model-00003-of-00007.safetensors"));
        var e = Assert.Throws<CheckpointException>(() => ShardedSafetensors.Open(dir.File(ShardedSafetensors.IndexFileName)));
        Assert.Contains("model-00003-of-00007.safetensors", e.Message);
        Assert.Contains("'model.layers.4.mlp.weight'", e.Message);
        Assert.Contains(ShardedSafetensors.IndexFileName, e.Message);
        Assert.Contains("HINT:", e.Message);
    }

    [Fact]
    public void Tensor_absent_from_its_shard_is_named()
    {
        using var dir = new TempFolder();
        ShardedSafetensorsWriter.Write(dir.Path, Layers(), maxShardBytes: 1000);
        var indexPath = dir.File(ShardedSafetensors.IndexFileName);
        // point layer 9 at shard 1, which does not hold it
        File.WriteAllText(indexPath, File.ReadAllText(indexPath).Replace(
            "\"model.layers.9.mlp.weight\": \"model-00007-of-00007.safetensors\"", "\"model.layers.9.mlp.weight\": \"model-00001-of-00007.safetensors\""));
        var e = Assert.Throws<SafetensorsException>(() => ShardedSafetensors.Open(indexPath));
        Assert.Equal("model.layers.9.mlp.weight", e.TensorName);
        Assert.Contains("model-00001-of-00007.safetensors", e.Message);
        Assert.Contains("does not hold it", e.Message);
    }

    [Fact]
    public void Index_that_escapes_the_folder_or_lacks_weight_map_is_refused()
    {
        using var dir = new TempFolder();
        var indexPath = dir.File(ShardedSafetensors.IndexFileName);
        File.WriteAllText(indexPath, """{"metadata": {}, "weight_map": {"w": "../elsewhere.safetensors"}}""");
        Assert.Contains("'weight_map.w'", Assert.Throws<CheckpointException>(() => ShardedSafetensors.Open(indexPath)).Message);
        File.WriteAllText(indexPath, """{"metadata": {}}""");
        Assert.Contains("'weight_map' is missing", Assert.Throws<CheckpointException>(() => ShardedSafetensors.Open(indexPath)).Message);
    }

    [Fact]
    public void Asking_for_an_unknown_tensor_names_the_index()
    {
        using var dir = new TempFolder();
        ShardedSafetensorsWriter.Write(dir.Path, Layers(), maxShardBytes: 1000);
        using var view = ShardedSafetensors.Open(dir.File(ShardedSafetensors.IndexFileName));
        var e = Assert.Throws<CheckpointException>(() => view["lm_head.weight"]);
        Assert.Contains("'lm_head.weight'", e.Message);
        Assert.Contains(ShardedSafetensors.IndexFileName, e.Message);
    }

    [Theory]
    [InlineData("2GB", 2_000_000_000L)]
    [InlineData("500MB", 500_000_000L)]
    [InlineData("1GiB", 1L << 30)]
    [InlineData("1.5 GiB", 3L << 29)]
    [InlineData("10kb", 10_000L)]
    [InlineData("123456", 123456L)]
    public void Shard_sizes_parse_like_transformers(string text, long bytes) => Assert.Equal(bytes, ByteSize.Parse(text));

    [Theory]
    [InlineData("")]
    [InlineData("GB")]
    [InlineData("-1GB")]
    [InlineData("two gigs")]
    public void Bad_shard_sizes_are_refused(string text) => Assert.Contains("e.g. \"2GB\"", Assert.Throws<FormatException>(() => ByteSize.Parse(text)).Message);
}

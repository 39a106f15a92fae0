using Toolkit.Core.Checkpoints;

namespace Toolkit.Core.Tests.Checkpoints;

public class CheckpointFolderTests
{
    static ModelConfig Tiny => new()
    {
        ModelType = "llama", HiddenSize = 8, IntermediateSize = 16, NumHiddenLayers = 2, NumAttentionHeads = 2, NumKeyValueHeads = 1,
        HeadDim = 4, VocabSize = 10, MaxPositionEmbeddings = 32, EosTokenIds = [2], BosTokenId = 1,
    };

    static List<ITensorData> TinyWeights()
    {
        var rng = new Random(3);
        TensorBytes W(string name, params long[] shape)
        {
            var v = new float[shape.Aggregate(1L, (a, d) => a * d)];
            for (var i = 0; i < v.Length; i++) v[i] = (float)rng.NextDouble();
            return TensorBytes.FromFloats(name, shape, v);
        }
        var list = new List<ITensorData> { W("model.embed_tokens.weight", 10, 8) };
        for (var l = 0; l < 2; l++)
        {
            list.Add(W($"model.layers.{l}.self_attn.q_proj.weight", 8, 8));
            list.Add(W($"model.layers.{l}.mlp.up_proj.weight", 16, 8));
        }
        list.Add(W("model.norm.weight", 8));
        return list;
    }

    [Theory]
    [InlineData(1_000_000L, 1)]
    [InlineData(700L, 4)]
    public void Save_then_open_gives_back_config_generation_tokenizer_paths_and_weights(long maxShardBytes, int files)
    {
        using var dir = new TempFolder();
        var weights = TinyWeights();
        var written = CheckpointFolder.Save(dir.Path, Tiny, new GenerationConfig { DoSample = false, EosTokenIds = [2] }, weights, maxShardBytes);
        Assert.Equal(files + (files > 1 ? 1 : 0) + 2, written.Count);
        File.WriteAllText(dir.File("tokenizer.json"), "{}");

        using var folder = CheckpointFolder.Open(dir.Path);
        Assert.Equal(Tiny.HiddenSize, folder.Config.HiddenSize);
        Assert.Equal(false, folder.Generation!.DoSample);
        Assert.Equal(dir.File("tokenizer.json"), folder.TokenizerJsonPath);
        Assert.Null(folder.TokenizerConfigPath);
        Assert.IsType(files == 1 ? typeof(SafetensorsFile) : typeof(ShardedSafetensors), folder.Weights);
        foreach (var t in weights.Cast<TensorBytes>())
            Assert.Equal(t.Bytes.ToArray(), folder.Weights[t.Name].ToArray());
    }

    [Fact]
    public void Generation_config_is_optional()
    {
        using var dir = new TempFolder();
        CheckpointFolder.Save(dir.Path, Tiny, null, TinyWeights());
        using var folder = CheckpointFolder.Open(dir.Path);
        Assert.Null(folder.Generation);
    }

    [Theory]
    [InlineData("pytorch_model.bin")]
    [InlineData("consolidated.00.pth")]
    [InlineData("model.pt")]
    [InlineData("last.ckpt")]
    public void A_folder_with_only_pickle_weights_is_refused_and_the_file_never_opened(string pickle)
    {
        using var dir = new TempFolder();
        ModelConfigJson.Write(dir.File("config.json"), Tiny);
        File.WriteAllBytes(dir.File(pickle), [0x80, 0x02]); // pickle protocol header; never read
        var e = Assert.Throws<CheckpointException>(() => CheckpointFolder.Open(dir.Path));
        Assert.Contains(pickle, e.Message);
        Assert.Contains("pickle files are never loaded", e.Message);
        Assert.Contains("arbitrary code", e.Message);
        Assert.Contains("safetensors", e.Message);
    }

    [Fact]
    public void Pickle_files_beside_safetensors_weights_are_ignored()
    {
        using var dir = new TempFolder();
        CheckpointFolder.Save(dir.Path, Tiny, null, TinyWeights());
        File.WriteAllBytes(dir.File("pytorch_model.bin"), [0x80, 0x02]);
        using var folder = CheckpointFolder.Open(dir.Path);
        Assert.Contains("model.norm.weight", folder.Weights.Names);
    }

    [Fact]
    public void Missing_config_or_weights_name_the_folder_and_the_file_expected()
    {
        using var dir = new TempFolder();
        var noConfig = Assert.Throws<CheckpointException>(() => CheckpointFolder.Open(dir.Path));
        Assert.Contains(dir.Path, noConfig.Message);
        Assert.Contains("config.json", noConfig.Message);

        ModelConfigJson.Write(dir.File("config.json"), Tiny);
        SafetensorsWriter.Write(dir.File("adapter_model.safetensors"), [TensorBytes.FromFloats("a", [1], [1f])]);
        var noWeights = Assert.Throws<CheckpointException>(() => CheckpointFolder.Open(dir.Path));
        Assert.Contains(dir.Path, noWeights.Message);
        Assert.Contains("model.safetensors or model.safetensors.index.json", noWeights.Message);
        Assert.Contains("adapter_model.safetensors", noWeights.Message);

        var absent = Assert.Throws<CheckpointException>(() => CheckpointFolder.Open(dir.File("nope")));
        Assert.Contains("does not exist", absent.Message);
    }

    [Fact]
    public void Disposing_the_folder_releases_the_weights()
    {
        using var dir = new TempFolder();
        CheckpointFolder.Save(dir.Path, Tiny, null, TinyWeights());
        var folder = CheckpointFolder.Open(dir.Path);
        var t = folder.Weights["model.norm.weight"];
        folder.Dispose();
        Assert.Throws<ObjectDisposedException>(() => t.ToArray());
    }
}

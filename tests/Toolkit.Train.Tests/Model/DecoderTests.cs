using System.Text.Json;
using Toolkit.Core.Checkpoints;
using Toolkit.Train.Engine;
using Toolkit.Train.Model;
using TorchSharp;
using static TorchSharp.torch;
using Xunit.Abstractions;
using static Toolkit.Train.Tests.Oracle;

namespace Toolkit.Train.Tests.Model;

public sealed class DecoderTests(ITestOutputHelper output) : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("tk-decoder-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    // A small config of each family: llama with GQA and tied embeddings; qwen2 with q/k/v biases and an untied head.
    static ModelConfig Small(string family) => Presets.Get("tiny", vocabSize: 97) with
    {
        ModelType = family, HiddenSize = 64, IntermediateSize = 160, NumHiddenLayers = 2, NumAttentionHeads = 4,
        NumKeyValueHeads = 2, HeadDim = 16, AttentionBias = family == "qwen2", TieWordEmbeddings = family == "llama",
        RopeTheta = family == "qwen2" ? 1000000 : 10000,
    };

    static Tensor Ids(long[][] rows) => torch.tensor(rows.SelectMany(r => r).ToArray(), [rows.Length, rows[0].Length]);

    static long[][] RandomIds(int b, int t, int vocab, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, b).Select(_ => Enumerable.Range(0, t).Select(_ => (long)rng.Next(vocab)).ToArray()).ToArray();
    }

    [Theory]
    [InlineData("llama")]
    [InlineData("qwen2")]
    public void Logits_match_an_independent_python_forward(string family)
    {
        var config = Small(family);
        using (var w = DecoderWeights.Random(config, seed: 1)) w.Save(dir);
        var ids = RandomIds(2, 9, config.VocabSize, 2);
        var idsPath = Path.Combine(dir, "ids.json");
        File.WriteAllText(idsPath, JsonSerializer.Serialize(ids));
        var outPath = Path.Combine(dir, "logits.f32");
        Python("tests/oracles/llama_forward.py", dir, idsPath, outPath);
        var expected = MemoryMarshalFloats(File.ReadAllBytes(outPath));

        using var folder = CheckpointFolder.Open(dir);
        using var model = new Decoder(DecoderWeights.Load(folder));
        using var scope = torch.NewDisposeScope();
        var ours = model.Forward(Ids(ids)).data<float>().ToArray();
        var diff = MaxAbsDiff(ours, expected);
        output.WriteLine($"{family}: logits {ours.Length} values, max |diff| vs python = {diff:E2}");
        Assert.Equal(expected.Length, ours.Length);
        Assert.True(diff <= 1e-4, $"max |diff| {diff}");
    }

    [Fact]
    public void Kv_cache_decoding_gives_the_logits_of_a_full_forward()
    {
        using var model = new Decoder(DecoderWeights.Random(Small("qwen2"), seed: 3));
        var ids = RandomIds(2, 12, 97, 4);
        using var scope = torch.NewDisposeScope();
        var full = model.Forward(Ids(ids));                                            // (B, T, V)
        using var cache = new KvCache(model.Config.NumHiddenLayers);
        var worst = 0.0;
        // prefill 5 tokens, then one token at a time
        var prefill = model.Forward(Ids(ids.Select(r => r[..5]).ToArray()), cache: cache);
        worst = Math.Max(worst, MaxAbsDiff(prefill.data<float>().ToArray(), full.narrow(1, 0, 5).data<float>().ToArray()));
        for (var i = 5; i < 12; i++)
        {
            using var step = torch.NewDisposeScope();
            var logits = model.Forward(Ids(ids.Select(r => r[i..(i + 1)]).ToArray()), cache: cache);
            worst = Math.Max(worst, MaxAbsDiff(logits.data<float>().ToArray(), full.narrow(1, i, 1).data<float>().ToArray()));
        }
        output.WriteLine($"KV-cache decode vs full forward: max |diff| = {worst:E2}");
        Assert.Equal(12, cache.Length);
        Assert.True(worst <= 1e-5, $"max |diff| {worst}");
    }

    [Fact]
    public void Left_padding_does_not_change_the_real_tokens_logits()
    {
        using var model = new Decoder(DecoderWeights.Random(Small("llama"), seed: 5));
        using var scope = torch.NewDisposeScope();
        long[] seq = [5, 17, 33, 2, 90, 41];
        var alone = model.Forward(Ids([seq])).data<float>().ToArray();
        long[] padded = [0, 0, 0, .. seq];
        var mask = torch.tensor(new long[] { 0, 0, 0, 1, 1, 1, 1, 1, 1 }, [1, 9]);
        var batched = model.Forward(Ids([padded]), attentionMask: mask).narrow(1, 3, 6).data<float>().ToArray();
        var diff = MaxAbsDiff(alone, batched);
        output.WriteLine($"left padding: max |diff| = {diff:E2}");
        Assert.True(diff <= 1e-5, $"max |diff| {diff}");
    }

    [Fact]
    public void Checkpoint_write_then_read_is_bit_exact_in_every_dtype()
    {
        foreach (var dtype in new[] { ScalarType.Float32, ScalarType.BFloat16, ScalarType.Float16 })
        {
            var sub = Path.Combine(dir, dtype.ToString());
            using var w = DecoderWeights.Random(Small("qwen2"), seed: 6, dtype);
            w.Save(sub, dtype: dtype);
            using var folder = CheckpointFolder.Open(sub);
            using var back = DecoderWeights.Load(folder, dtype);
            foreach (var (name, t) in w.All)
                Assert.True(t.Equals(back[name]), $"{dtype} {name} differs after write-then-read");
            Assert.Equal(dtype switch { ScalarType.BFloat16 => "bfloat16", ScalarType.Float16 => "float16", _ => "float32" }, folder.Config.TorchDtype);
        }
    }

    [Fact]
    public void A_checkpoint_missing_a_tensor_is_refused_with_its_name()
    {
        var config = Small("llama");
        using (var w = DecoderWeights.Random(config, seed: 7)) w.Save(dir);
        // rewrite the weights without one layer's down projection
        using (var folder = CheckpointFolder.Open(dir))
        {
            var kept = folder.Weights.Names.Where(n => n != "model.layers.1.mlp.down_proj.weight")
                .Select(n => (ITensorData)new TensorBytes(n, folder.Weights[n].DType, folder.Weights[n].Shape, folder.Weights[n].ToArray())).ToList();
            var other = Path.Combine(dir, "broken");
            CheckpointFolder.Save(other, config, null, kept);
        }
        using var broken = CheckpointFolder.Open(Path.Combine(dir, "broken"));
        var e = Assert.Throws<CheckpointException>(() => DecoderWeights.Load(broken));
        Assert.Contains("model.layers.1.mlp.down_proj.weight", e.Message);
    }

    [Fact]
    public void A_forward_inside_a_scope_leaves_no_live_tensor()
    {
        using var model = new Decoder(DecoderWeights.Random(Small("qwen2"), seed: 8));
        var leaked = LiveTensors.Leaked(() =>
        {
            for (var i = 0; i < 3; i++)
            {
                using var scope = NewDisposeScope();
                using var cache = new KvCache(model.Config.NumHiddenLayers);
                model.Forward(Ids(RandomIds(1, 4, 97, i)), cache: cache);
                model.Forward(Ids(RandomIds(1, 1, 97, i)), cache: cache);
            }
        });
        Assert.Equal(0, leaked);
    }

    static float[] MemoryMarshalFloats(byte[] bytes) => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes).ToArray();
}

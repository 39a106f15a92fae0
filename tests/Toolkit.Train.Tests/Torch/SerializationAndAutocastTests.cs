using Toolkit.Train.Torch;

namespace Toolkit.Train.Tests.Torch;

public class SerializationAndAutocastTests
{
    [Fact]
    public void Save_load_round_trip_is_bit_exact_for_every_dtype()
    {
        var path = Path.Combine(Path.GetTempPath(), $"tk-tensors-{Guid.NewGuid():N}.pt");
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(7);
        var tensors = new Dictionary<string, Tensor>
        {
            ["model.embed_tokens.weight"] = torch.randn([5, 3]),
            ["bf16"] = torch.randn([4]).to(ScalarType.BFloat16),
            ["ids"] = torch.tensor(new long[] { long.MaxValue, -1, 0 }),
            ["mask"] = torch.tensor(new bool[] { true, false }),
        };
        torch.save(tensors, path);
        var loaded = torch.load(path);
        File.Delete(path);
        Assert.Equal(tensors.Keys.Order(), loaded.Keys.Order());
        foreach (var (name, t) in tensors)
        {
            Assert.Equal(t.dtype, loaded[name].dtype);
            Assert.Equal(t.shape, loaded[name].shape);
            Assert.True(t.equal(loaded[name]), name);
        }
        Assert.Equal(tensors["model.embed_tokens.weight"].ToArray<float>(), loaded["model.embed_tokens.weight"].ToArray<float>());
    }

    [Fact]
    public void Loading_a_missing_file_names_it()
    {
        var ex = Assert.Throws<FileNotFoundException>(() => torch.load("/nonexistent/weights.pt"));
        Assert.Contains("/nonexistent/weights.pt", ex.Message);
    }

    [Fact]
    public void Autocast_makes_matmul_bf16_inside_and_fp32_outside()
    {
        using var scope = torch.NewDisposeScope();
        var a = torch.randn([8, 8]);
        var b = torch.randn([8, 8]);
        using (torch.autocast(ScalarType.BFloat16))
        {
            Assert.True(torch.is_autocast_enabled());
            Assert.Equal(ScalarType.BFloat16, a.matmul(b).dtype);
            // libtorch 1.13 CPU autocast: cross_entropy runs in fp32, log_softmax does not (callers upcast; see torch.autocast).
            var target = torch.tensor(new long[] { 0, 1, 2, 3, 4, 5, 6, 7 });
            Assert.Equal(ScalarType.Float32, torch.nn.functional.cross_entropy(a.matmul(b), target).dtype);
            Assert.Equal(ScalarType.BFloat16, a.matmul(b).log_softmax(-1).dtype);
        }
        Assert.False(torch.is_autocast_enabled());
        Assert.Equal(ScalarType.Float32, a.matmul(b).dtype);
    }
}

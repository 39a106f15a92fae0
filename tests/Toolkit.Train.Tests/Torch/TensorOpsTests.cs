using Toolkit.Train.Torch;

namespace Toolkit.Train.Tests.Torch;

/// <summary>Tensor ops against values computed by hand (or by plain C# loops) from the same inputs.</summary>
public class TensorOpsTests
{
    [Fact]
    public void Matmul_matches_hand_computed_product()
    {
        using var scope = torch.NewDisposeScope();
        var a = torch.tensor(new float[] { 1, 2, 3, 4, 5, 6 }, [2, 3]);      // (2, 3)
        var b = torch.tensor(new float[] { 7, 8, 9, 10, 11, 12 }, [3, 2]);   // (3, 2)
        var c = torch.matmul(a, b);                                           // (2, 2)
        Assert.Equal([2L, 2L], c.shape);
        Assert.Equal(new float[] { 58, 64, 139, 154 }, c.ToArray<float>());
    }

    [Fact]
    public void Softmax_rows_match_exp_over_sum()
    {
        using var scope = torch.NewDisposeScope();
        double[] x = [1, 2, 3, -1, 0, 1];
        var p = torch.tensor(x, [2, 3]).softmax(-1).ToArray<double>();
        for (var r = 0; r < 2; r++)
        {
            var z = Enumerable.Range(0, 3).Sum(j => Math.Exp(x[r * 3 + j]));
            for (var j = 0; j < 3; j++) Assert.Equal(Math.Exp(x[r * 3 + j]) / z, p[r * 3 + j], 12);
        }
    }

    [Fact]
    public void Cross_entropy_skips_ignore_index_in_sum_and_in_mean_denominator()
    {
        using var scope = torch.NewDisposeScope();
        var logits = torch.tensor(new double[] { 1, 2, 3, 1, 1, 1, 0, 0, 5 }, [3, 3]); // (N=3, C=3)
        var target = torch.tensor(new long[] { 2, -100, 0 });                            // (N)
        var l0 = Math.Log(Math.Exp(1) + Math.Exp(2) + Math.Exp(3)) - 3;
        var l2 = Math.Log(2 + Math.Exp(5)) - 0;

        var none = torch.nn.functional.cross_entropy(logits, target, reduction: torch.nn.Reduction.None).ToArray<double>();
        Assert.Equal(l0, none[0], 12);
        Assert.Equal(0.0, none[1]);
        Assert.Equal(l2, none[2], 12);
        Assert.Equal((l0 + l2) / 2, torch.nn.functional.cross_entropy(logits, target).item<double>(), 12);
        Assert.Equal(l0 + l2, torch.nn.functional.cross_entropy(logits, target, reduction: torch.nn.Reduction.Sum).item<double>(), 12);
    }

    [Fact]
    public void Gather_picks_per_row_indices()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.tensor(new float[] { 10, 11, 12, 20, 21, 22 }, [2, 3]);
        var idx = torch.tensor(new long[] { 2, 0, 1, 1 }, [2, 2]);
        Assert.Equal(new float[] { 12, 10, 21, 21 }, x.gather(1, idx).ToArray<float>());
    }

    [Fact]
    public void Masked_fill_with_causal_mask_fills_above_diagonal()
    {
        using var scope = torch.NewDisposeScope();
        var scores = torch.zeros([3, 3]);
        var mask = torch.ones([3, 3], ScalarType.Bool).triu(1); // true above the diagonal
        var filled = scores.masked_fill(mask, double.NegativeInfinity).ToArray<float>();
        for (var i = 0; i < 3; i++)
            for (var j = 0; j < 3; j++)
                Assert.Equal(j > i ? float.NegativeInfinity : 0f, filled[i * 3 + j]);
    }

    [Fact]
    public void Cumsum_and_topk_match_hand_values()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.tensor(new float[] { 3, 1, 4, 1, 5, 9, 2, 6 });
        Assert.Equal(new float[] { 3, 4, 8, 9, 14, 23, 25, 31 }, x.cumsum(0).ToArray<float>());
        var (values, indexes) = x.topk(3);
        Assert.Equal(new float[] { 9, 6, 5 }, values.ToArray<float>());
        Assert.Equal(new long[] { 5, 7, 4 }, indexes.ToArray<long>());
        var (mv, mi) = torch.tensor(new float[] { 1, 7, 3, 8, 2, 0 }, [2, 3]).max(1);
        Assert.Equal(new float[] { 7, 8 }, mv.ToArray<float>());
        Assert.Equal(new long[] { 1, 0 }, mi.ToArray<long>());
    }

    [Fact]
    public void Bf16_cast_rounds_to_8_bit_mantissa_and_back()
    {
        using var scope = torch.NewDisposeScope();
        // 1 + 2^-9 is not representable in bf16 (7 explicit mantissa bits): it rounds to 1; 1 + 2^-7 is exact.
        var x = torch.tensor(new float[] { 1f + 1f / 512, 1f + 1f / 128, 3.14159265f, -2.5f });
        var b = x.to(ScalarType.BFloat16);
        Assert.Equal(ScalarType.BFloat16, b.dtype);
        Assert.Equal(new float[] { 1f, 1f + 1f / 128, 3.140625f, -2.5f }, b.to(ScalarType.Float32).ToArray<float>());
        Assert.Equal(new long[] { 1, 1, 3, -2 }, x.to(ScalarType.Int64).ToArray<long>());
        Assert.Equal(new bool[] { true, false }, torch.tensor(new float[] { 2, 0 }).to(ScalarType.Bool).ToArray<bool>());
    }

    [Fact]
    public void Integer_tensor_plus_whole_scalar_stays_integer()
    {
        using var scope = torch.NewDisposeScope();
        var pos = torch.arange(4) + 10;
        Assert.Equal(ScalarType.Int64, pos.dtype);
        Assert.Equal(new long[] { 10, 11, 12, 13 }, pos.ToArray<long>());
    }

    [Fact]
    public void Views_and_joins_keep_element_order()
    {
        using var scope = torch.NewDisposeScope();
        var x = torch.arange(6).reshape(2, 3);                                      // (2, 3)
        Assert.Equal(new long[] { 0, 3, 1, 4, 2, 5 }, x.transpose(0, 1).contiguous().ToArray<long>());
        Assert.Equal(new long[] { 1, 4 }, x.select(1, 1).ToArray<long>());
        Assert.Equal(new long[] { 0, 2, 3, 5 }, x.slice(1, 0, 3, 2).ToArray<long>());
        Assert.Equal([2L, 2L, 3L], torch.stack([x, x]).shape);
        Assert.Equal([4L, 3L], torch.cat([x, x]).shape);
        Assert.Equal(new long[] { 0, 0, 1, 1, 2, 2 }, torch.arange(3).repeat_interleave(2, 0).ToArray<long>());
        var parts = torch.arange(5).split(2);
        Assert.Equal(3, parts.Length);
        Assert.Equal(new long[] { 4 }, parts[2].ToArray<long>());
    }

    [Fact]
    public void Shape_error_arrives_as_TorchException_with_libtorch_text_and_next_op_works()
    {
        using var scope = torch.NewDisposeScope();
        var a = torch.ones([2, 3]);
        var b = torch.ones([4, 5]);
        var ex = Assert.Throws<TorchException>(() => torch.matmul(a, b));
        Assert.Contains("shapes cannot be multiplied (2x3 and 4x5)", ex.Message);
        Assert.DoesNotContain("frame #", ex.Message); // no C++ backtrace
        Assert.Equal(6f, torch.matmul(a, torch.ones([3, 1])).sum().item<float>());
    }

    [Fact]
    public void Disposed_tensor_throws_ObjectDisposedException()
    {
        var t = torch.ones([2]);
        t.Dispose();
        Assert.Throws<ObjectDisposedException>(() => t.sum());
        t.Dispose(); // twice is harmless
    }

    [Fact]
    public void ToArray_with_wrong_element_type_names_the_cast()
    {
        using var scope = torch.NewDisposeScope();
        var ex = Assert.Throws<InvalidOperationException>(() => torch.ones([2]).ToArray<long>());
        Assert.Contains(".to(ScalarType.Int64)", ex.Message);
    }

    [Fact]
    public void Threads_default_to_processor_count()
    {
        var expected = int.TryParse(Environment.GetEnvironmentVariable("TOOLKIT_THREADS"), out var n) ? n : Environment.ProcessorCount;
        using (torch.NewDisposeScope()) torch.ones([1]).Dispose(); // loads the library
        Assert.Equal(expected, torch.get_num_threads());
    }
}
